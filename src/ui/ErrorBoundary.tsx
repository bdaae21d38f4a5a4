import { Component, type ReactNode } from 'react';

interface Props {
  /** What is shown inside, in the message and the retry button's name: "Pane 2", "Research view". */
  name: string;
  children: ReactNode;
  /** When this changes (a new result, a new input), a failed part gets another try by itself. */
  resetKey?: unknown;
  /** Hide the message along with the view it stands for (views kept mounted while hidden). */
  hidden?: boolean;
  /** Class of the message's box (e.g. "pane", to keep a pane's place in the grid). */
  className?: string;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

/**
 * Keeps one failing part of the page from blanking the whole app: a render error below it
 * (a prediction that breaks a view, a bug) replaces only that part with a message and a retry
 * button; the rest of the app, its state and earlier results keep working. React reports the
 * error on the console (its onCaughtError).
 */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.resetKey ? { error: null, resetKey: props.resetKey } : null;
  }

  private retry = () => this.setState({ error: null });

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const { name, hidden, className } = this.props;
    return (
      <div className={`render-error${className ? ` ${className}` : ''}`} hidden={hidden} role="group" aria-label={`${name} (failed)`}>
        <div className="pane-error" role="alert">
          <strong>{name} could not be shown</strong> ({error.message}). The rest of the app still works.
        </div>
        <button type="button" onClick={this.retry}>
          Retry {name}
        </button>
      </div>
    );
  }
}
