/**
 * The Content-Security-Policy of the renderer: only the app's own files, no remote content, no inline or
 * eval'd script, no plugins, no framing, no form posts. The Electron app serves it as a header on every
 * app:// response (and index.html carries it as a meta tag too); the test bridge serves the same policy with
 * `connect-src 'self'` added, because there `window.custodian` reaches the core over loopback HTTP.
 */
export function contentSecurityPolicy(options: { connectSelf?: boolean } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${options.connectSelf ? "'self'" : "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
  ].join('; ');
}

/** Where the renderer is served from inside the app. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'custodian';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
