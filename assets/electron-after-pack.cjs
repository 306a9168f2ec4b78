/* eslint-disable @typescript-eslint/no-require-imports -- electron-builder loads afterPack hooks with require(). */
// electron-builder afterPack hook: flips the Electron fuses of the packaged binary, before signing.
//   RunAsNode off            - the app binary cannot be used as a plain `node` (ELECTRON_RUN_AS_NODE)
//   NODE_OPTIONS off, --inspect arguments off - no code or debugger injected through the environment/CLI
//   cookie encryption on     - (the app has no cookies, but nothing is ever stored in clear)
//   embedded ASAR integrity on, only load the app from app.asar on - a modified or side-loaded app does not run
//   file:// extra privileges off - the renderer is served from app://, file:// gets no special powers
const { join } = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

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
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  });
  process.stdout.write(`  • fuses flipped  binary=${binary}\n`);
};
