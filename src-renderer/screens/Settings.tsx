import { useState, type ReactNode } from 'react';
import type { SessionState, Settings } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../components/common.js';
import { PassphraseForm } from '../components/PassphraseForm.js';
import { useTask } from '../hooks.js';
import { chooseLanguage, currentLanguage, storedLanguage, t, type Language } from '../i18n/index.js';

export function SettingsScreen({ settings, onSaved, session, onSession }: {
  settings: Settings;
  onSaved: (settings: Settings) => void;
  session: SessionState | undefined;
  onSession: (state: SessionState) => void;
}): ReactNode {
  const [idle, setIdle] = useState(String(settings.idleLockMinutes));
  const [clipboard, setClipboard] = useState(String(settings.clipboardClearSeconds));
  const [watch, setWatch] = useState(String(settings.watchIntervalSeconds));
  const [saved, setSaved] = useState(false);
  const task = useTask();
  const errors = fieldErrors(task.error);
  return (
    <div className="screen">
      <h1>{t('settings.settings')}</h1>
      <form className="card narrow" aria-label={t('settings.settings')} onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const next = await task.run(() => call('saveSettings', {
          idleLockMinutes: Number(idle),
          clipboardClearSeconds: Number(clipboard),
          watchIntervalSeconds: Number(watch),
        }));
        if (next) { onSaved(next); setSaved(true); }
      }}>
        <Field label={t('settings.lockAfterIdleMinutes')} type="number" value={idle} onChange={setIdle} error={errors['idleLockMinutes']}
          hint={t('settings.afterThisLongWithoutInput')} />
        <Field label={t('settings.clearClipboardAfterSeconds')} type="number" value={clipboard} onChange={setClipboard} error={errors['clipboardClearSeconds']}
          hint={t('settings.anythingKeyCustodianCopiesIs')} />
        <Field label={t('settings.refreshStatusEverySeconds')} type="number" value={watch} onChange={setWatch} error={errors['watchIntervalSeconds']}
          hint={t('settings.howOftenKeyCustodianChecks')} />
        <button type="submit" disabled={task.busy}>{t('settings.saveSettings')}</button>
        {task.busy ? <Busy label={t('settings.saving')} /> : null}
        {saved ? <p role="status" className="notice ok">{t('settings.settingsSaved')}</p> : null}
        {/* A field error is shown under its field; the notice is for everything else (a keychain or disk failure). */}
        {task.error && Object.keys(errors).length === 0 ? <ErrorNotice error={task.error} /> : null}
        {Object.keys(errors).length > 0 ? <p className="notice error" role="alert" data-code="INVALID_INPUT">{t('settings.nothingWasSavedCorrectThe')}{Object.keys(errors).length === 1 ? t('settings.field') : t('settings.fields')} {t('settings.markedAbove')}</p> : null}
      </form>
      <LanguageChoice />
      <section className="card narrow" aria-labelledby="presence-settings">
        <h2 id="presence-settings">{t('lockScreen.unlockPassphrase')}</h2>
        {session?.presence.method === 'touch-id'
          ? <p>{t('settings.thisMacConfirmsWithTouch')}</p>
          : <p>{t('settings.askedBeforeAKeyOr')}</p>}
        <PassphraseForm key={String(session?.presence.passphraseSet)} passphraseSet={session?.presence.passphraseSet ?? false} onDone={onSession} />
      </section>
    </div>
  );
}

/** The display language: the OS's by default; a choice here is kept in this window's storage (not a secret). */
function LanguageChoice(): ReactNode {
  const [choice, setChoice] = useState<Language | 'system'>(storedLanguage() ?? 'system');
  return (
    <section className="card narrow" aria-labelledby="language-settings">
      <h2 id="language-settings">{t('settings.language')}</h2>
      <div className="field">
        <label htmlFor="language-choice">{t('settings.displayLanguage')}</label>
        <select id="language-choice" value={choice} aria-describedby="language-hint" onChange={(e) => {
          const next = e.target.value as Language | 'system';
          setChoice(next);
          chooseLanguage(next === 'system' ? undefined : next);
        }}>
          <option value="system">{t('settings.languageSystem')}</option>
          <option value="en" lang="en">English</option>
          <option value="de" lang="de">Deutsch</option>
        </select>
        <small id="language-hint">{t('settings.languageHint')}</small>
      </div>
      <p className="muted" data-language={currentLanguage()}>{t('settings.languageNote')}</p>
    </section>
  );
}
