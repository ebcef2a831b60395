// The real server, started the way apps/server's own tests start it (a fresh database of
// the dialect under test, 127.0.0.1 port 0). Imported by path because @trellis/server
// exports no test helpers; the devDependency on it keeps the package graph honest.
export { startTestServer, type TestServer } from '../../apps/server/test/support/server.js';
