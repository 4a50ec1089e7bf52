// Uploads one file with the real tus-js-client, as a browser would, and
// prints one JSON line: the upload URL, bytes sent, chunks and elapsed time.
// Usage: REEL_TOKEN=<api token> node upload.mjs <endpoint> <file> <chunkSize>
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [endpoint, file, chunkSize] = process.argv.slice(2);
if (!endpoint || !file || !chunkSize) {
  console.error('usage: node upload.mjs <endpoint> <file> <chunkSize>');
  process.exit(2);
}

let chunks = 0;
const started = process.hrtime.bigint();
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  headers: process.env.REEL_TOKEN ? { Authorization: `Bearer ${process.env.REEL_TOKEN}` } : {},
  chunkSize: Number(chunkSize),
  retryDelays: [0, 200, 1000],
  metadata: { filename: path.basename(file), filetype: 'audio/wav' },
  onChunkComplete: () => {
    chunks += 1;
  },
  onError: (error) => {
    console.error(`upload failed: ${error}`);
    process.exit(1);
  },
  onSuccess: () => {
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(JSON.stringify({ url: upload.url, bytes: fs.statSync(file).size, chunks, elapsedMs }));
  },
});
upload.start();
