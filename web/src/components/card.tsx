import type { ComponentChildren } from 'preact';
import type { AsyncState } from '../lib/use-async';

/**
 * A titled panel with the three states every card has: loading (a placeholder of the same
 * height, aria-busy), error (the worded reason and a retry button), empty (a sentence), and
 * the content. `minHeight` reserves the space so nothing jumps while data loads.
 */
export function Card<T>(props: {
  title: string;
  state: AsyncState<T> & { reload?: () => void };
  isEmpty?: (data: T) => boolean;
  empty?: string;
  minHeight?: number;
  class?: string;
  children: (data: T) => ComponentChildren;
}) {
  const { state } = props;
  const busy = state.status === 'loading';
  const id = `card-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  let body: ComponentChildren;
  if (state.status === 'error' && state.data === undefined) {
    body = (
      <div class="card-error" role="alert">
        <p>{state.error.message}</p>
        {props.state.reload && (
          <button type="button" onClick={props.state.reload}>
            Retry
          </button>
        )}
      </div>
    );
  } else if (state.data === undefined) {
    body = <div class="skeleton" aria-hidden="true" />;
  } else if (props.isEmpty?.(state.data)) {
    body = <p class="empty">{props.empty ?? 'Nothing in this range.'}</p>;
  } else {
    body = props.children(state.data);
  }
  return (
    <section
      class={`card ${props.class ?? ''}`}
      aria-labelledby={id}
      aria-busy={busy ? 'true' : 'false'}
      data-state={state.status}
      style={props.minHeight ? { minHeight: `${props.minHeight}px` } : undefined}
    >
      <h2 id={id}>{props.title}</h2>
      {state.status === 'error' && state.data !== undefined && (
        <p class="card-error" role="alert">
          {state.error.message}
        </p>
      )}
      {body}
    </section>
  );
}
