/**
 * Synchronous listeners for what AWS would put on EventBridge (state changes, command status
 * changes, parameter changes). A listener that returns a promise is not awaited, like an
 * EventBridge target; its rejection is kept in `errors` instead of becoming an unhandled
 * rejection, so a scenario can assert on it.
 */
export type Listener<T> = (event: T) => unknown;

export class Listeners<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly errors: unknown[]) {}

  /** Returns a function that removes the listener. */
  add(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.errors.push(error));
      } catch (error) {
        this.errors.push(error);
      }
    }
  }
}
