import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ServerStatusView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ErrorNotice, Field } from '../components/common.js';
import { useTask } from '../hooks.js';
import { t } from '../i18n/index.js';

type Goal = 'unlocked' | 'locked';
type Outcome = { kind: 'reached' | 'timeout' | 'stopped'; seconds: number; missing: string[] };

/** Seconds between rounds, as `custodian server status --watch` (its --interval default). */
const ROUND_SECONDS = 2;
const MAX_TIMEOUT_SECONDS = 3600;

/**
 * `custodian server status --watch --until unlocked` with a timeout: asks every pinned server each round until
 * all of them are in the chosen state, the timeout passes, or the officer stops it. Shows how many are there
 * and how much of the timeout is used. The loop is bounded by the timeout (and ends when the screen closes).
 */
export function WaitForState({ onRound }: { onRound: (servers: ServerStatusView[]) => void }): ReactNode {
  const [goal, setGoal] = useState<Goal>('unlocked');
  const [timeout, setTimeoutText] = useState('120');
  const [running, setRunning] = useState<{ started: number; limit: number } | undefined>();
  const [progress, setProgress] = useState<{ elapsed: number; reached: number; total: number } | undefined>();
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [timeoutError, setTimeoutError] = useState<string | undefined>();
  const stop = useRef(false);
  const task = useTask();
  useEffect(() => () => { stop.current = true; }, []);

  const start = async (): Promise<void> => {
    const limit = Number(timeout);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMEOUT_SECONDS) {
      setTimeoutError(t('waitForState.timeoutInvalid', { max: MAX_TIMEOUT_SECONDS }));
      return;
    }
    setTimeoutError(undefined);
    setOutcome(undefined);
    stop.current = false;
    const started = Date.now();
    setRunning({ started, limit });
    let last: ServerStatusView[] = [];
    const missing = (): string[] => last.filter((s) => !(s.reachable && s.state === goal)).map((s) => s.name);
    try {
      // At most limit / ROUND_SECONDS + 1 rounds: each round waits until the next tick or the deadline.
      for (;;) {
        const round = await task.run(() => call('serverStatus', {}));
        if (stop.current) { setOutcome({ kind: 'stopped', seconds: secondsSince(started), missing: missing() }); return; }
        if (round) { last = round; onRound(round); }
        const elapsed = secondsSince(started);
        setProgress({ elapsed, reached: last.length - missing().length, total: last.length });
        if (round && missing().length === 0) { setOutcome({ kind: 'reached', seconds: elapsed, missing: [] }); return; }
        if (elapsed >= limit) { setOutcome({ kind: 'timeout', seconds: elapsed, missing: missing() }); return; }
        await sleep(Math.min(ROUND_SECONDS * 1000, Math.max(0, started + limit * 1000 - Date.now())));
        if (stop.current) { setOutcome({ kind: 'stopped', seconds: secondsSince(started), missing: missing() }); return; }
      }
    } finally {
      setRunning(undefined);
    }
  };

  return (
    <form className="card" aria-labelledby="wait-title" onSubmit={(e) => { e.preventDefault(); void start(); }}>
      <h2 id="wait-title">{t('waitForState.waitForAState')}</h2>
      <p>{t('waitForState.like')}<code>{t('waitForState.custodianServerStatusWatchUntil')}</code>{t('waitForState.intro', { seconds: ROUND_SECONDS })}</p>
      <div className="field">
        <label htmlFor="wait-goal">{t('waitForState.waitUntilEveryServerIs')}</label>
        <select id="wait-goal" value={goal} disabled={running !== undefined} onChange={(e) => setGoal(e.target.value as Goal)}>
          <option value="unlocked">{t('servers.unlocked')}</option>
          <option value="locked">{t('waitForState.locked')}</option>
        </select>
      </div>
      <Field label={t('waitForState.timeoutSeconds')} type="number" value={timeout} onChange={setTimeoutText} error={timeoutError} />
      {running ? (
        <button type="button" onClick={() => { stop.current = true; }}>{t('waitForState.stopWaiting')}</button>
      ) : (
        <button type="submit">{t('waitForState.startWaiting')}</button>
      )}
      {running && progress ? (
        <div className="meter" role="status" aria-label={t('waitForState.waiting')}>
          <span>{t(progress.total === 1 ? 'waitForState.progressOne' : 'waitForState.progress', { reached: progress.reached, total: progress.total, state: t(`state.${goal}`), elapsed: progress.elapsed, limit: running.limit })}</span>
          <progress aria-label={t('waitForState.timeUsed')} value={progress.elapsed} max={running.limit} />
        </div>
      ) : null}
      {outcome ? <p className={`notice ${outcome.kind === 'reached' ? 'ok' : 'error'}`} role={outcome.kind === 'reached' ? 'status' : 'alert'} data-outcome={outcome.kind}>{describe(outcome, goal)}</p> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function describe(outcome: Outcome, goal: Goal): string {
  const state = t(`state.${goal}`);
  if (outcome.kind === 'reached') return t('waitForState.reached', { state, seconds: outcome.seconds });
  const still = outcome.missing.length > 0 ? ` ${t('waitForState.notYet', { state, names: outcome.missing.join(', ') })}` : '';
  if (outcome.kind === 'stopped') return `${t('waitForState.stopped', { seconds: outcome.seconds })}${still}`;
  return `${t('waitForState.timedOut', { seconds: outcome.seconds })}${still}`;
}

function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
