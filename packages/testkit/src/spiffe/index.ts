// SPIFFE test fakes: a test CA issuing spec-conformant (or deliberately broken) X509-SVIDs, and
// real grpc-js servers for the SPIFFE Workload API and the SPIRE Server API subset we call.
// Import as `@harbor-satellite/testkit/spiffe/index`.
export { TestCA } from "./test-ca.js";
export type { TestCaOptions, IssueSvidOptions, TestSvid } from "./test-ca.js";
export { FakeWorkloadApi } from "./fake-workload-api.js";
export type { FakeWorkloadApiOptions, FakeIdentity } from "./fake-workload-api.js";
export { FakeSpireServer } from "./fake-spire-server.js";
export type { FakeSpireServerOptions, FakeSpireRpc } from "./fake-spire-server.js";
export { FakeSpireState, AttestationError } from "./fake-spire-state.js";
