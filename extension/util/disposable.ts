/** Something that holds a resource until disposed (structurally the same as vscode.Disposable). */
export interface IDisposable {
  dispose(): void;
}

/** Owns disposables and disposes them in reverse order of tracking. */
export class Disposer implements IDisposable {
  private readonly items: IDisposable[] = [];
  private disposed = false;

  /** Tracks `d` and returns it (`this.dispose.track(new X())`). */
  track<T extends IDisposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.items.push(d);
    return d;
  }

  /** Stops tracking `d` without disposing it. */
  untrack(d: IDisposable): void {
    const i = this.items.indexOf(d);
    if (i >= 0) this.items.splice(i, 1);
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.items.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // one failing disposable must not keep the others alive
      }
    }
  }
}

/** Base class of stateful objects: `this.dispose` tracks what they own. */
export abstract class DisposableObject implements IDisposable {
  protected readonly disposer = new Disposer();
  dispose(): void {
    this.disposer.dispose();
  }
}
