// The benchmark client: the real tus-js-client uploads one file and prints
// one JSON line: the upload URL, bytes sent, chunks and elapsed time. The
// file is read into memory before the clock starts, so the client's own disk
// reads and 64 KiB stream pieces do not cap what is measured: the servers.
// Usage: node client.mjs <endpoint> <file> <chunkSize>
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [endpoint, file, chunkSize] = process.argv.slice(2);
if (!endpoint || !file || !chunkSize) {
  console.error('usage: node client.mjs <endpoint> <file> <chunkSize>');
  process.exit(2);
}

const data = fs.readFileSync(file);
let chunks = 0;
const started = process.hrtime.bigint();
const upload = new tus.Upload(data, {
  endpoint,
  // Reel since accounts: the benchmark admin's token (bench/tus.sh sets it).
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
    console.log(JSON.stringify({ url: upload.url, bytes: data.length, chunks, elapsedMs }));
  },
});
upload.start();
