// What the bundle gets when a dependency imports '@actions/http-client/lib/auth': a credential handler
// that refuses to be built.
//
// Only @actions/core's OIDC helper (core.getIDToken(), which asks the runner for an OIDC token) imports
// it, for BearerCredentialHandler; this action never asks for an OIDC token, and sends its own
// credentials in the form or an Authorization header it writes itself. So tsconfig.json's `paths` sends
// the import here and the handlers are not compiled at each start. Every name the bundled packages
// import from it must be exported here: __tests__/bundle.test.ts checks.

export class BearerCredentialHandler {
  constructor() {
    throw new Error("@actions/http-client's credential handlers are not bundled with this action.")
  }
}
