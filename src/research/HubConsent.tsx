/**
 * The consent step for Hugging Face models named by a restored state (a permalink, a
 * history entry): a link must never start a download from another site by itself. The
 * panes that named the model show the built-in one until the visitor presses the
 * button that names the model; "Keep the built-in model" dismisses the offer.
 */
import { useApp } from '../app/context.tsx';

export function HubConsent() {
  const { state, dispatch } = useApp();
  if (!state.hubOffers.length) return null;
  return (
    <div className="alerts">
      {state.hubOffers.map((o) => {
        const where = [o.panes.length ? `${o.panes.length === 1 ? 'pane' : 'panes'} ${o.panes.join(', ')}` : '', o.research ? 'the research sweep' : ''].filter(Boolean).join(' and ');
        return (
          <section key={o.key} className="alert hub-consent" aria-label={`Download ${o.id} from Hugging Face?`}>
            <p>
              This link uses the Hugging Face model <strong>{o.id}</strong>{where ? ` (in ${where})` : ''}. Nothing has been downloaded: the built-in model is used in its place. Downloading it
              fetches its files from huggingface.co.
            </p>
            <div className="input-actions">
              <button
                type="button"
                onClick={() => {
                  if (!navigator.onLine) {
                    dispatch({ type: 'alert', message: `Downloading ${o.id} needs a network connection; you are offline.` });
                    return;
                  }
                  dispatch({ type: 'acceptHubModel', key: o.key });
                }}
              >
                Download {o.id} from Hugging Face
              </button>
              <button type="button" onClick={() => dispatch({ type: 'dismissHubOffer', key: o.key })}>
                Keep the built-in model
              </button>
            </div>
          </section>
        );
      })}
    </div>
  );
}
