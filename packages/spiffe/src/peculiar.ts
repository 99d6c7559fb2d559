// The one place @peculiar/x509 is loaded. Its DI container (tsyringe) refuses to load without a
// Reflect metadata polyfill, and it signs through WebCrypto, so both are set up here first;
// everything else imports `x509` from this module.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
