import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { DEFAULT_SETTINGS, type AppInfo, type SessionState, type Settings } from '../src-shared/contract.js';
import { call } from './api.js';
import { ErrorNotice } from './components/common.js';
import { LockScreen } from './components/LockScreen.js';
import { PassphraseForm } from './components/PassphraseForm.js';
import { useTask } from './hooks.js';
import { Audit } from './screens/Audit.js';
import { Backup } from './screens/Backup.js';
import { PresenceDialog } from './presence.js';
import { Dashboard } from './screens/Dashboard.js';
import { Keys } from './screens/Keys.js';
import { Servers } from './screens/Servers.js';
import { SettingsScreen } from './screens/Settings.js';
import { Vault } from './screens/Vault.js';
import { useTranslation } from 'react-i18next';
import { t, type MessageKey } from './i18n/index.js';

export type Screen = 'dashboard' | 'keys' | 'vault' | 'servers' | 'settings' | 'backup' | 'audit';
const SCREENS: Array<{ id: Screen; label: MessageKey }> = [
  { id: 'dashboard', label: 'nav.dashboard' },
  { id: 'keys', label: 'nav.keys' },
  { id: 'vault', label: 'nav.vault' },
  { id: 'servers', label: 'nav.servers' },
  { id: 'settings', label: 'nav.settings' },
  { id: 'backup', label: 'nav.backup' },
  { id: 'audit', label: 'nav.audit' },
];

export function App(): ReactNode {
  const [screen, setScreen] = useState<Screen>('dashboard');
  const [info, setInfo] = useState<AppInfo | undefined>();
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  // The lock lives in main; this is the window's copy, re-read at start (so a reload stays locked) and every 2 s.
  const [session, setSession] = useState<SessionState | undefined>();
  const locked = session?.locked ?? true;
  const needsPassphrase = session !== undefined && session.presence.method === 'passphrase' && !session.presence.passphraseSet;
  // Bumped on lock: screens keyed on it drop every revealed key and half-typed share.
  const [generation, setGeneration] = useState(0);
  const load = useTask();
  // Subscribes the whole tree to the language: a change in Settings re-renders every screen in the new language.
  const { i18n } = useTranslation();
  useEffect(() => { document.documentElement.lang = i18n.language; }, [i18n.language]);

  const adopt = useCallback((next: SessionState) => {
    setSession((before) => {
      if (next.locked && before && !before.locked) setGeneration((g) => g + 1);
      return next;
    });
  }, []);

  useEffect(() => {
    void load.run(async () => {
      setInfo(await call('appInfo', {}));
      setSettings(await call('getSettings', {}));
      adopt(await call('sessionState', {}));
    });
    const id = setInterval(() => { call('sessionState', {}).then(adopt, () => undefined); }, 2000);
    return () => clearInterval(id);
  }, []);

  const lock = useCallback(() => {
    setGeneration((g) => g + 1);
    setSession((before) => (before ? { ...before, locked: true } : before));
    void load.run(async () => adopt(await call('lock', {})));
  }, [adopt]);
  useIdle(settings.idleLockMinutes * 60_000, lock, locked || needsPassphrase);

  // While main holds an open ceremony or hand-out, leaving the page asks first (Electron turns this into its own
  // confirmation in main, which asks the core again).
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent): void => {
      if ((session?.openCeremonies ?? 0) > 0) {
        event.preventDefault();
        event.returnValue = '';
      }
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [session?.openCeremonies]);

  // Alt+1..7 switch screens, for keyboard-only use.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!event.altKey || locked || needsPassphrase) return;
      const index = Number.parseInt(event.key, 10) - 1;
      const target = SCREENS[index];
      if (target) {
        event.preventDefault();
        setScreen(target.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [locked, needsPassphrase]);

  return (
    <div className="app">
      <nav aria-label={t('app.main')}>
        <div className="brand" aria-hidden="true">{t('app.keyCustodian')}</div>
        <ul>
          {SCREENS.map((item, index) => (
            <li key={item.id}>
              <button
                type="button"
                aria-current={screen === item.id ? 'page' : undefined}
                aria-keyshortcuts={`Alt+${index + 1}`}
                onClick={() => setScreen(item.id)}
                disabled={locked || needsPassphrase}
              >
                {t(item.label)}
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="lock-now" onClick={lock} disabled={locked || needsPassphrase}>{t('app.lockNow')}</button>
        {info ? <small className="version">v{info.version}</small> : null}
      </nav>
      <main key={generation} aria-label={t(SCREENS.find((s) => s.id === screen)?.label ?? 'nav.dashboard')}>
        <ErrorNotice error={load.error} />
        {session === undefined ? null : needsPassphrase ? (
          <section className="card narrow" aria-labelledby="first-run-title">
            <h1 id="first-run-title">{t('app.chooseAnUnlockPassphrase')}</h1>
            <p>{t('app.keyCustodianAsksForIt')}</p>
            <PassphraseForm passphraseSet={false} onDone={adopt} />
          </section>
        ) : locked ? (
          <LockScreen session={session} minutes={settings.idleLockMinutes} onUnlocked={adopt} />
        ) : (
          <>
            {screen === 'dashboard' ? <Dashboard info={info} settings={settings} go={setScreen} /> : null}
            {screen === 'keys' ? <Keys info={info} settings={settings} /> : null}
            {screen === 'vault' ? <Vault info={info} /> : null}
            {screen === 'servers' ? <Servers info={info} /> : null}
            {screen === 'settings' ? <SettingsScreen settings={settings} onSaved={setSettings} session={session} onSession={adopt} /> : null}
            {screen === 'backup' ? <Backup info={info} /> : null}
            {screen === 'audit' ? <Audit /> : null}
          </>
        )}
      </main>
      <PresenceDialog key={`presence-${generation}`} />
    </div>
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
