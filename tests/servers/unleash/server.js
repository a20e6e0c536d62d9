// A real Unleash server for firebreak's integration tests.
//
// Configured by the environment (the test harness sets it):
//   DATABASE_URL           postgres://user@127.0.0.1:PORT/db (required)
//   HTTP_PORT              port to listen on, on 127.0.0.1 only (required)
//   INIT_ADMIN_API_TOKENS  "*:*.secret": the admin token the tests use
//   FIREBREAK_PARENT_PID   exit when this process is gone (no orphans)
'use strict';

const unleash = require('unleash-server');

const port = Number(process.env.HTTP_PORT);
if (!process.env.DATABASE_URL || !port) {
  console.error('server.js: set DATABASE_URL and HTTP_PORT');
  process.exit(2);
}

const parent = Number(process.env.FIREBREAK_PARENT_PID || 0);
if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (e) {
      process.exit(0);
    }
  }, 500).unref();
}

unleash
  .start({
    db: { ssl: false },
    server: { host: '127.0.0.1', port, gracefulShutdownEnable: false },
    versionCheck: { enable: false },
    telemetry: false,
    logLevel: process.env.LOG_LEVEL || 'warn',
  })
  .then((instance) => {
    console.log(`unleash ${instance.config.server.unleashUrl} listening on 127.0.0.1:${port}`);
  })
  .catch((err) => {
    console.error('server.js: unleash failed to start:', err);
    process.exit(1);
  });
