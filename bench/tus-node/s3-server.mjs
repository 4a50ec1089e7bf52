// The reference for bench/scale_out.py: @tus/server with @tus/s3-store, as
// its README sets it up, against the same S3 server Reel uses.
// Usage: node s3-server.mjs <port> <endpoint> <bucket> <key id> <secret>
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';

const [port, endpoint, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2);
const server = new Server({
  path: '/files',
  datastore: new S3Store({
    // Reel's parts are 5 MiB for files up to 50 GB; the same here.
    partSize: 5 * 1024 * 1024,
    s3ClientConfig: {
      bucket,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    },
  }),
});
server.listen({ host: '127.0.0.1', port: Number(port) });
