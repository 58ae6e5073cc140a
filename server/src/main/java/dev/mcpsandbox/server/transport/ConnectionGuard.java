package dev.mcpsandbox.server.transport;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Bounds what a client can hold without sending requests. The connector's idle timeout cannot: it must
 * outlast the longest silent tools/call, and a client that sends one header byte a second is never idle
 * (50 such connections stayed open for the whole of a 20 s test). So:
 * <ul>
 *   <li>a connection must finish a request's headers within {@code headerTimeout} of opening, or of the
 *       first byte of a later request on it; a sweep once a second closes the ones that do not;</li>
 *   <li>one remote address may hold at most {@code perAddress} open connections; more are closed as they open.</li>
 * </ul>
 * A kept-alive connection waiting for its next request is left to the idle timeout.
 */
final class ConnectionGuard extends AbstractLifeCycle implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(1);

    private final Duration headerTimeout;
    private final int perAddress;
    private final Scheduler scheduler;
    private final LongSupplier nanoTime;
    private final Map<Connection, Watch> open = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private volatile Scheduler.Task sweep;

    /** Where a connection stands: which request it is on, and since when it has been sending that request's headers. */
    private record Watch(String address, long messagesIn, long headersSince) {
    }

    ConnectionGuard(Duration headerTimeout, int perAddress, Scheduler scheduler, LongSupplier nanoTime) {
        this.headerTimeout = headerTimeout;
        this.perAddress = perAddress;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
    }

    @Override
    public void onOpened(Connection connection) {
        String address = address(connection.getEndPoint().getRemoteSocketAddress());
        AtomicInteger count = perClient.computeIfAbsent(address, a -> new AtomicInteger());
        if (count.incrementAndGet() > perAddress) {
            count.decrementAndGet();
            log.warn("closing a connection from {}: it already has {} open (--max-connections-per-client)", address,
                    perAddress);
            connection.getEndPoint().close();
            return;
        }
        open.put(connection, new Watch(address, 0, nanoTime.getAsLong()));
    }

    @Override
    public void onClosed(Connection connection) {
        Watch watch = open.remove(connection);
        if (watch != null) {
            perClient.computeIfPresent(watch.address(), (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = sweep;
        if (task != null) {
            task.cancel();
        }
    }

    private void schedule() {
        if (isRunning() || isStarting()) {
            sweep = scheduler.schedule(this::sweep, SWEEP_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void sweep() {
        try {
            long now = nanoTime.getAsLong();
            open.replaceAll((connection, watch) -> next(connection, watch, now));
        } catch (RuntimeException e) {
            log.warn("connection sweep: {}", e.toString());
        } finally {
            schedule();
        }
    }

    /** The connection's new watch; closes it when it has been sending one request's headers for too long. */
    private Watch next(Connection connection, Watch watch, long now) {
        if (!(connection instanceof HttpConnection http)) {
            return watch;
        }
        HttpParser parser = http.getParser();
        long messagesIn = http.getMessagesIn();
        boolean fresh = messagesIn == 0;
        boolean sendingHeaders = parser.inHeaderState() && (fresh || !parser.isStart());
        if (!sendingHeaders) {
            return new Watch(watch.address(), messagesIn, Long.MAX_VALUE);
        }
        long since = watch.messagesIn() == messagesIn && watch.headersSince() != Long.MAX_VALUE ? watch.headersSince() : now;
        if (now - since > headerTimeout.toNanos()) {
            log.warn("closing a connection from {}: its request headers took longer than {} s (--header-timeout-seconds)",
                    watch.address(), headerTimeout.toSeconds());
            connection.getEndPoint().close();
        }
        return new Watch(watch.address(), messagesIn, since);
    }

    private static String address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(remote);
    }
}
