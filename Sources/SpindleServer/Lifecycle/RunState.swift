import ServiceLifecycle
import Synchronization

/// Whether the server's ServiceGroup runs, so a shutdown can reach it from anywhere
/// (``SpindleServer/shutdown()``, a failing listener) and one asked for before `run` is
/// not lost.
final class RunState: Sendable {
    private enum State {
        case idle(shutdownRequested: Bool)
        case running(ServiceGroup)
        case finished
    }

    private let state = Mutex(State.idle(shutdownRequested: false))

    /// Records that `group` runs. Returns true when a shutdown was asked for before it
    /// started: the caller then does not run it at all (a ServiceGroup told to shut down
    /// before `run()` does not return from it).
    func start(_ group: ServiceGroup) throws(SpindleServerError) -> Bool {
        let requested: Bool = try state.withLock { (state) throws(SpindleServerError) -> Bool in
            guard case .idle(let requested) = state else {
                throw SpindleServerError(.notRunning, "a SpindleServer runs once; create another to serve again")
            }
            state = requested ? .finished : .running(group)
            return requested
        }
        return requested
    }

    func finish() {
        state.withLock { $0 = .finished }
    }

    /// Starts a graceful shutdown (now, or as soon as the group starts).
    func shutdown() async {
        let group: ServiceGroup? = state.withLock { state in
            switch state {
            case .idle:
                state = .idle(shutdownRequested: true)
                return nil
            case .running(let group):
                return group
            case .finished:
                return nil
            }
        }
        await group?.triggerGracefulShutdown()
    }
}
