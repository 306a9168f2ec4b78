/**
 * The application menu: only what an officer needs (the app menu on macOS, Edit for copy and paste, Window).
 * No Reload, Force Reload or Developer Tools outside development: a reload used to throw away a ceremony's
 * hand-out, and devtools would show what the window holds. Electron's default menu has all three.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';

export function menuTemplate(options: { development: boolean; platform: NodeJS.Platform }): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({ role: 'appMenu', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }] });
  } else {
    template.push({ label: 'File', submenu: [{ role: 'quit' }] });
  }
  // Edit keeps Cmd/Ctrl+C, V, X, A working in text fields (on macOS they come from the menu).
  template.push({ label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] });
  if (options.development) {
    template.push({ label: 'View', submenu: [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }] });
  }
  template.push({ role: 'windowMenu', submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }] });
  return template;
}

export function installMenu(options: { development: boolean; platform: NodeJS.Platform }): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(options)));
}
