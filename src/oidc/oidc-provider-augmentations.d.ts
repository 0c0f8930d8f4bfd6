// Members oidc-provider 9 has at run time that @types/oidc-provider does not declare.
import 'oidc-provider';

declare module 'oidc-provider' {
  interface Session {
    /** The cookie value (the session's primary key). */
    id: string;
    /** True for a session created by this request and not yet saved. */
    new?: boolean;
  }
  interface Client {
    /** Sends the back-channel logout token to the client's backchannel_logout_uri. */
    backchannelLogout(sub: string, sid: string): Promise<void>;
  }
}
