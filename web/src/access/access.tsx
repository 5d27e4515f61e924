import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../api/client';
import { currentKey, forgetKey, onKeyChange, rememberKey } from './key-store';

type Scope = Schemas['AccessKeyResponse']['scope'];

export interface Access {
  mode: Schemas['AccessResponse']['mode'];
  key?: Schemas['AccessKeyResponse'];
}

const AccessContext = createContext<Access>({ mode: 'open' });

export function useAccess(): Access {
  return useContext(AccessContext);
}

/**
 * Why an action is not available to the current key, or null when it is. Admin keys may do
 * everything; read and write keys only their own kind of route (as the service decides).
 */
export function missingScope(access: Access, needed: Scope): string | null {
  if (access.mode === 'open' || !access.key) return null;
  if (access.key.scope === 'admin' || access.key.scope === needed) return null;
  return `Needs an API key with the "${needed}" scope; "${access.key.name}" has "${access.key.scope}".`;
}

type GateState = { status: 'checking' } | { status: 'ready'; access: Access } | { status: 'ask'; reason?: string } | { status: 'failed'; reason: string };

/**
 * Asks the service (GET /api/access) whether it needs a key and what the stored one may do;
 * shows the key form when one is needed, and the app otherwise.
 */
export function AccessGate(props: { children: ComponentChildren }) {
  const [state, setState] = useState<GateState>({ status: 'checking' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => onKeyChange(() => setGeneration((g) => g + 1)), []);
  useEffect(() => {
    let cancelled = false;
    call(api.GET('/api/access')).then(
      (access) => {
        if (cancelled) return;
        if (access.mode === 'keys' && !access.key) setState({ status: 'ask' });
        else setState({ status: 'ready', access });
      },
      (error: ApiError) => {
        if (cancelled) return;
        if (error.status === 401 && currentKey()) {
          forgetKey();
          setState({ status: 'ask', reason: error.message });
        } else if (error.status === 401) {
          // forgetKey() above starts this re-check: keep the refused key's explanation on the form.
          setState((current) => (current.status === 'ask' ? current : { status: 'ask' }));
        }
        else setState({ status: 'failed', reason: error.message });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [generation]);

  if (state.status === 'checking') return <p class="gate" aria-busy="true">Connecting to the service…</p>;
  if (state.status === 'failed')
    return (
      <div class="gate" role="alert">
        <p>{state.reason}</p>
        <button type="button" onClick={() => setGeneration((g) => g + 1)}>
          Try again
        </button>
      </div>
    );
  if (state.status === 'ask') return <KeyForm reason={state.reason} />;
  return <AccessContext.Provider value={state.access}>{props.children}</AccessContext.Provider>;
}

function KeyForm(props: { reason?: string }) {
  const [value, setValue] = useState('');
  return (
    <main id="main" class="gate">
      <h1>Tracking Service</h1>
      <form
        class="key-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) rememberKey(value.trim());
        }}
      >
        <p>This service needs an API key. A read key shows every page; compute and backfill need an admin key.</p>
        {props.reason && (
          <p class="error" role="alert">
            {props.reason}
          </p>
        )}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
        />
        <p class="hint">
          Kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>. Create one with{' '}
          <code>npm run keys -- create --name dashboard --scope read</code>.
        </p>
        <button type="submit">Use this key</button>
      </form>
    </main>
  );
}

/** The header's access status: who is signed in (or that the service is open), and "Forget key". */
export function AccessStatus() {
  const access = useAccess();
  if (access.mode === 'open') return null;
  return (
    <div class="access-status">
      <span>
        Key <strong>{access.key?.name}</strong> ({access.key?.scope})
      </span>
      <button type="button" onClick={forgetKey}>
        Forget key
      </button>
    </div>
  );
}

/** The visible warning while no key exists: anyone who reaches the port can read and write. */
export function OpenBanner() {
  const access = useAccess();
  if (access.mode !== 'open') return null;
  return (
    <div class="banner" role="status">
      <strong>This service is open:</strong> no API key exists, so anyone who can reach it can read and record events. Create
      one with <code>npm run keys -- create --name admin --scope admin</code>.
    </div>
  );
}
