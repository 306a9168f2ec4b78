/* eslint-disable @typescript-eslint/no-require-imports -- electron-builder loads afterPack hooks with require(). */
// electron-builder afterPack hook: flips the Electron fuses of the packaged binary, before signing.
//   RunAsNode                - on for Linux and Windows, off for macOS. The `custodian` launcher shipped with the
//                              app (resources/bin) runs the app binary as Node (ELECTRON_RUN_AS_NODE=1) on the
//                              bundled CLI, as VS Code's `code` does. On Linux and Windows that gives no program
//                              more than it has anyway: the Secret Service and the Credential Manager serve every
//                              process of the user alike. The macOS keychain instead grants the app's items to the
//                              app's code signature, and a binary that runs any script as Node would hand that
//                              signature to any program: there RunAsNode stays off and the CLI is installed on its
//                              own (docs/packaging.md).
//   NODE_OPTIONS off, --inspect arguments off - no code or debugger injected through the environment/CLI
//   cookie encryption on     - (the app has no cookies, but nothing is ever stored in clear)
//   embedded ASAR integrity on, only load the app from app.asar on - a modified or side-loaded app does not run
//   file:// extra privileges off - the renderer is served from app://, file:// gets no special powers
const { join } = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

/** The fuse settings for a platform ('linux', 'win32', 'darwin'); exported for the packaging test. */
function fuses(platform) {
  return {
    [FuseV1Options.RunAsNode]: platform !== 'darwin',
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

exports.fuses = fuses;
exports.default = async function afterPack(context) {
  const platform = context.electronPlatformName;
  const name = context.packager.appInfo.productFilename;
  const binary = platform === 'darwin'
    ? join(context.appOutDir, `${name}.app`)
    : platform === 'win32'
      ? join(context.appOutDir, `${name}.exe`)
      : join(context.appOutDir, context.packager.executableName);
  await flipFuses(binary, {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: false,
    resetAdHocDarwinSignature: platform === 'darwin' && context.arch === 3 /* Arch.arm64 */,
    ...fuses(platform),
  });
  process.stdout.write(`  • fuses flipped  binary=${binary}\n`);
};
