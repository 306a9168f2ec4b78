import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { DEFAULT_SETTINGS, type AppInfo, type Settings } from '../src-shared/contract.js';
import { call } from './api.js';
import { ErrorNotice } from './components/common.js';
import { useTask } from './hooks.js';
import { Backup } from './screens/Backup.js';
import { Dashboard } from './screens/Dashboard.js';
import { Keys } from './screens/Keys.js';
import { Servers } from './screens/Servers.js';
import { SettingsScreen } from './screens/Settings.js';
import { Vault } from './screens/Vault.js';

export type Screen = 'dashboard' | 'keys' | 'vault' | 'servers' | 'settings' | 'backup';
const SCREENS: Array<{ id: Screen; label: string }> = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'keys', label: 'Keys' },
  { id: 'vault', label: 'Vault' },
  { id: 'servers', label: 'Servers' },
  { id: 'settings', label: 'Settings' },
  { id: 'backup', label: 'Backup' },
];

export function App(): ReactNode {
  const [screen, setScreen] = useState<Screen>('dashboard');
  const [info, setInfo] = useState<AppInfo | undefined>();
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [locked, setLocked] = useState(false);
  // Bumped on idle lock: screens keyed on it drop every revealed key and half-typed share.
  const [generation, setGeneration] = useState(0);
  const load = useTask();

  useEffect(() => {
    void load.run(async () => {
      setInfo(await call('appInfo', {}));
      setSettings(await call('getSettings', {}));
    });
  }, []);

  const lock = useCallback(() => {
    setLocked(true);
    setGeneration((g) => g + 1);
  }, []);
  useIdle(settings.idleLockMinutes * 60_000, lock, locked);

  // Alt+1..6 switch screens, for keyboard-only use.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!event.altKey || locked) return;
      const index = Number.parseInt(event.key, 10) - 1;
      const target = SCREENS[index];
      if (target) {
        event.preventDefault();
        setScreen(target.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [locked]);

  return (
    <div className="app">
      <nav aria-label="Main">
        <div className="brand" aria-hidden="true">Key Custodian</div>
        <ul>
          {SCREENS.map((item, index) => (
            <li key={item.id}>
              <button
                type="button"
                aria-current={screen === item.id ? 'page' : undefined}
                aria-keyshortcuts={`Alt+${index + 1}`}
                onClick={() => setScreen(item.id)}
                disabled={locked}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="lock-now" onClick={lock} disabled={locked}>Lock now</button>
        {info ? <small className="version">v{info.version}</small> : null}
      </nav>
      <main key={generation} aria-label={SCREENS.find((s) => s.id === screen)?.label}>
        <ErrorNotice error={load.error} />
        {locked ? (
          <LockScreen minutes={settings.idleLockMinutes} onResume={() => setLocked(false)} />
        ) : (
          <>
            {screen === 'dashboard' ? <Dashboard info={info} settings={settings} go={setScreen} /> : null}
            {screen === 'keys' ? <Keys info={info} settings={settings} /> : null}
            {screen === 'vault' ? <Vault info={info} /> : null}
            {screen === 'servers' ? <Servers info={info} /> : null}
            {screen === 'settings' ? <SettingsScreen settings={settings} onSaved={setSettings} /> : null}
            {screen === 'backup' ? <Backup info={info} /> : null}
          </>
        )}
      </main>
    </div>
  );
}

function LockScreen({ minutes, onResume }: { minutes: number; onResume: () => void }): ReactNode {
  const [typed, setTyped] = useState('');
  const ready = typed.trim().toLowerCase() === 'resume';
  return (
    <section className="card lock" aria-labelledby="lock-title">
      <h1 id="lock-title">Key Custodian is locked</h1>
      <p>No activity for {minutes} minute{minutes === 1 ? '' : 's'} (or you locked it). Revealed keys, typed shares and
        open forms were cleared from this window; a ceremony in progress keeps its progress on the servers.</p>
      <form onSubmit={(e) => { e.preventDefault(); if (ready) onResume(); }}>
        <label htmlFor="resume-input">Type <kbd>resume</kbd> to continue</label>
        <input id="resume-input" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" />
        <button type="submit" disabled={!ready}>Continue</button>
      </form>
    </section>
  );
}

/** Calls onIdle after `ms` without keyboard, mouse or touch input. */
function useIdle(ms: number, onIdle: () => void, paused: boolean): void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (paused) return;
    const reset = (): void => {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(onIdle, ms);
    };
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    for (const name of events) window.addEventListener(name, reset, { passive: true });
    reset();
    return () => {
      if (timer.current) clearTimeout(timer.current);
      for (const name of events) window.removeEventListener(name, reset);
    };
  }, [ms, onIdle, paused]);
}
