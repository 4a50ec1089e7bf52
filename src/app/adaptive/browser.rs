//! The browser side: loads hls.js on first use, attaches it to the video,
//! and carries its ladder and rung switches to the quality menu.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{HLS_JS, Quality};

#[wasm_bindgen]
extern "C" {
    /// hls.js's player (`window.Hls`, once its script has loaded).
    type Hls;
    #[wasm_bindgen(constructor)]
    fn new(config: &JsValue) -> Hls;
    #[wasm_bindgen(static_method_of = Hls, js_name = isSupported)]
    fn is_supported() -> bool;
    #[wasm_bindgen(method, js_name = loadSource)]
    fn load_source(this: &Hls, url: &str);
    #[wasm_bindgen(method, js_name = attachMedia)]
    fn attach_media(this: &Hls, media: &web_sys::HtmlMediaElement);
    #[wasm_bindgen(method)]
    fn on(this: &Hls, event: &str, listener: &js_sys::Function);
    #[wasm_bindgen(method)]
    fn destroy(this: &Hls);
    #[wasm_bindgen(method, getter)]
    fn levels(this: &Hls) -> js_sys::Array;
    #[wasm_bindgen(method, setter, js_name = currentLevel)]
    fn set_current_level(this: &Hls, level: i32);
    #[wasm_bindgen(method, getter, js_name = autoLevelEnabled)]
    fn auto_level_enabled(this: &Hls) -> bool;
}

type Listener = Closure<dyn FnMut(JsValue, JsValue)>;

/// A running hls.js and the listeners it calls (dropped with it).
struct Running {
    hls: JsValue,
    _listeners: Vec<Listener>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.hls.unchecked_ref::<Hls>().destroy();
    }
}

fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(value, &JsValue::from_str(name)).ok()
}

pub(super) fn attach(
    video: NodeRef<html::Video>,
    master: String,
    fallback: Option<String>,
    quality: Quality,
) {
    let running = StoredValue::new_local(None::<Running>);
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(element) = video.get() else {
            return;
        };
        if started.get_value() {
            return;
        }
        started.set_value(true);
        let media: web_sys::HtmlMediaElement = element.into();
        let (master, fallback) = (master.clone(), fallback.clone());
        leptos::task::spawn_local(async move {
            match start(&media, &master, fallback.clone(), quality).await {
                Some(started) => running.set_value(Some(started)),
                None => play_without_hls_js(&media, &master, fallback.as_deref()),
            }
        });
    });
    // The menu's choice: a rung now (the buffer is replaced), or Auto.
    Effect::new(move |_| {
        let asked = quality.asked.get();
        running.with_value(|r| {
            if let Some(r) = r {
                let level = asked.and_then(|n| i32::try_from(n).ok()).unwrap_or(-1);
                r.hls.unchecked_ref::<Hls>().set_current_level(level);
            }
        });
    });
    on_cleanup(move || running.set_value(None));
}

/// Where hls.js cannot run: the browser's own HLS (Safari without MSE),
/// else the progressive copy.
fn play_without_hls_js(media: &web_sys::HtmlMediaElement, master: &str, fallback: Option<&str>) {
    if !media
        .can_play_type("application/vnd.apple.mpegurl")
        .is_empty()
    {
        media.set_src(master);
    } else if let Some(file) = fallback {
        media.set_src(file);
    }
}

/// hls.js playing `master` in `media`, or `None` when it cannot run here.
async fn start(
    media: &web_sys::HtmlMediaElement,
    master: &str,
    fallback: Option<String>,
    quality: Quality,
) -> Option<Running> {
    let window = web_sys::window()?;
    let has_mse = ["MediaSource", "ManagedMediaSource"]
        .iter()
        .any(|name| field(&window, name).is_some_and(|v| !v.is_undefined()));
    if !has_mse || load_script(HLS_JS).await.is_err() || !Hls::is_supported() {
        return None;
    }
    let config = js_sys::Object::new();
    // Start at the beginning even while the ladder is still encoding (an
    // EVENT playlist would otherwise start at its live edge).
    js_sys::Reflect::set(&config, &"startPosition".into(), &0.into()).ok()?;
    let hls: JsValue = Hls::new(&config).into();
    let player = hls.clone();
    let on_ladder = Listener::new(move |_, _| {
        let levels = player.unchecked_ref::<Hls>().levels();
        let heights = levels
            .iter()
            .filter_map(|level| field(&level, "height")?.as_f64())
            .map(|h| h as u32)
            .collect();
        quality.rungs.set(heights);
    });
    let player = hls.clone();
    let on_switch = Listener::new(move |_, data: JsValue| {
        let level = field(&data, "level").and_then(|l| l.as_f64());
        quality.playing.set(level.map(|l| l as usize));
        quality
            .auto
            .set(player.unchecked_ref::<Hls>().auto_level_enabled());
    });
    let media_for_errors = media.clone();
    let player = hls.clone();
    let on_error = Listener::new(move |_, data: JsValue| {
        let fatal = field(&data, "fatal").is_some_and(|f| f.is_truthy());
        if fatal {
            leptos::logging::warn!("hls.js stopped: {:?}", field(&data, "details"));
            // The progressive copy, when there is one, plays instead.
            player.unchecked_ref::<Hls>().destroy();
            quality.rungs.set(Vec::new());
            if let Some(file) = &fallback {
                media_for_errors.set_src(file);
            }
        }
    });
    let player = hls.unchecked_ref::<Hls>();
    player.on("hlsManifestParsed", on_ladder.as_ref().unchecked_ref());
    player.on("hlsLevelSwitched", on_switch.as_ref().unchecked_ref());
    player.on("hlsError", on_error.as_ref().unchecked_ref());
    player.load_source(master);
    player.attach_media(media);
    Some(Running {
        hls,
        _listeners: vec![on_ladder, on_switch, on_error],
    })
}

/// Loads hls.js's script once per page load.
async fn load_script(src: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    if field(&window, "Hls").is_some_and(|v| !v.is_undefined()) {
        return Ok(());
    }
    let document = window.document().ok_or(JsValue::NULL)?;
    let script: web_sys::HtmlScriptElement = document.create_element("script")?.unchecked_into();
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    script.set_src(src);
    document
        .head()
        .ok_or(JsValue::NULL)?
        .append_child(&script)?;
    JsFuture::from(loaded).await.map(|_| ())
}
