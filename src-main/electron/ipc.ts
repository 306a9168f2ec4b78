/**
 * Registers the handler table on ipcMain, one `handle` per contract channel. Each call goes through the
 * dispatcher: the sender must be the main frame of one of our windows showing app://custodian, and the
 * payload must pass the action's schema. This file is the only IPC glue that the end-to-end tests (which run
 * the same dispatcher behind a loopback bridge) do not exercise.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { ACTIONS, channelOf } from '../../src-shared/actions.js';
import { APP_ORIGIN } from '../../src-shared/csp.js';
import { createDispatcher, type HandlerTable, type SenderInfo } from '../app/dispatch.js';

export function registerIpc(table: HandlerTable, windowIds: ReadonlySet<number>, log: (line: string) => void): () => void {
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds }, log);
  for (const action of ACTIONS) {
    const channel = channelOf(action);
    ipcMain.handle(channel, (event, payload: unknown) => dispatcher.handle(channel, payload, senderOf(event)));
  }
  return () => {
    for (const action of ACTIONS) ipcMain.removeHandler(channelOf(action));
  };
}

function senderOf(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame;
  return {
    url: frame?.url,
    isMainFrame: frame !== null && frame !== undefined && frame.parent === null,
    webContentsId: event.sender.id,
  };
}
