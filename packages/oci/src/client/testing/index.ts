// Test doubles of a registry for tests of any package: an in-process fake registry (auth modes,
// faults, a request log) and a self-signed loopback certificate for its TLS.
export {
  startFakeRegistry,
  type FakeAuth,
  type FakeBlob,
  type FakeFault,
  type FakeRegistry,
  type FakeTls,
  type LoggedRequest,
} from "./fake-registry.js";
export { selfSignedLoopback, type SelfSigned } from "./self-signed.js";
