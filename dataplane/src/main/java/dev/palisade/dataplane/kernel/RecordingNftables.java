package dev.palisade.dataplane.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * A fake {@link Nftables} for the tests of callers (in this module and in the agent's): records
 * every call, answers listings with a text the test sets, and fails on request.
 *
 * <p>It does not interpret scripts: a successful {@link #run} does not change {@link #state()}.
 * Tests assert on what was applied ({@link #appliedScripts()}) and set the state they want
 * callers to read back.
 *
 * <p>It checks what the real port checks: scripts without NUL characters, single {@code list}
 * commands, no use after {@link #close()}, and one thread. Unlike {@link LibNftables}, which is
 * bound to the thread that creates it, the fake binds to the first thread that calls a port method,
 * so a test may create it and hand it to a loop running on its own thread. The inspection methods
 * may be called from any thread.
 */
public final class RecordingNftables implements Nftables {

    /** One call to the port. {@code text} is the script or command; {@code failed} when it threw. */
    public record Call(Operation operation, String text, boolean failed) {
    }

    private final List<Call> calls = new ArrayList<>();
    private String state = "";
    private String jsonState = "{\"nftables\": []}";
    private int failuresLeft;
    private String failureText = "";
    private Thread owner;
    private boolean closed;

    /** What {@link #list} returns from now on. */
    public synchronized void setState(String listing) {
        this.state = requireText(listing, "state");
    }

    public synchronized String state() {
        return state;
    }

    /** What {@link #listJson} returns from now on; initially {@code {"nftables": []}}. */
    public synchronized void setJsonState(String json) {
        this.jsonState = requireText(json, "JSON state");
    }

    /**
     * The next {@code calls} calls of any operation throw {@link NftablesException} with
     * {@code nftText} as nft's error text. Positions in it ({@code <script>:3:1-4: Error: ...})
     * are resolved against the failing call's script, as for the real port.
     */
    public synchronized void failNext(int calls, String nftText) {
        if (calls < 1) {
            throw new IllegalArgumentException("number of calls to fail must be positive, got " + calls);
        }
        this.failuresLeft = calls;
        this.failureText = requireText(nftText, "nft error text");
    }

    /** Every call so far, in order, failed ones included. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The scripts that {@link #run} accepted, in order: what the kernel would have committed. */
    public synchronized List<String> appliedScripts() {
        return calls.stream().filter(c -> c.operation() == Operation.RUN && !c.failed()).map(Call::text).toList();
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void run(String script) {
        call(Operation.RUN, NftInput.requireScript(script));
    }

    @Override
    public synchronized void check(String script) {
        call(Operation.CHECK, NftInput.requireScript(script));
    }

    @Override
    public synchronized String list(String command) {
        call(Operation.LIST, NftInput.requireListCommand(command));
        return state;
    }

    @Override
    public synchronized String listJson(String command) {
        call(Operation.LIST_JSON, NftInput.requireListCommand(command));
        return jsonState;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (owner != null) {
            requireOwner();
        }
        closed = true;
    }

    private void call(Operation operation, String text) {
        if (owner == null) {
            owner = Thread.currentThread();
        }
        requireOwner();
        if (closed) {
            throw new IllegalStateException("nftables fake is closed");
        }
        if (failuresLeft > 0) {
            failuresLeft--;
            calls.add(new Call(operation, text, true));
            throw new NftablesException(operation, text, failureText);
        }
        calls.add(new Call(operation, text, false));
    }

    private void requireOwner() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException("nftables fake used by thread \"" + owner.getName()
                    + "\" called from thread \"" + current.getName() + "\"; the real port is confined to one thread");
        }
    }

    private static String requireText(String text, String what) {
        if (text == null) {
            throw new IllegalArgumentException(what + " is required");
        }
        return text;
    }
}
