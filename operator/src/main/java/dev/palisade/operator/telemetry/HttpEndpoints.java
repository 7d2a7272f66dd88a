package dev.palisade.operator.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP side of both programs: {@code /metrics} (Prometheus text), {@code /healthz} and
 * {@code /readyz}, whose meanings each program supplies (the operator: its sync loop is alive, and
 * every informer has synced, so a standby replica is ready to take over; the agent: its kernel
 * thread is alive, and the first full apply has succeeded).
 */
public final class HttpEndpoints implements AutoCloseable {

    /** Writes the current metrics in the Prometheus text format. */
    @FunctionalInterface
    public interface MetricsText {
        void writeText(OutputStream out) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);

    private final HttpServer server;

    public HttpEndpoints(InetSocketAddress address, MetricsText metrics, BooleanSupplier healthy,
                         BooleanSupplier ready) throws IOException {
        server = HttpServer.create(address, 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", ex -> {
            try (ex) {
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                    metrics.writeText(out);
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("scrape failed: {}", e.toString());
            }
        });
        server.createContext("/healthz", ex -> probe(ex, healthy));
        server.createContext("/readyz", ex -> probe(ex, ready));
        server.start();
    }

    private static void probe(HttpExchange ex, BooleanSupplier check) throws IOException {
        try (ex) {
            boolean ok = check.getAsBoolean();
            byte[] body = (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(ok ? 200 : 503, body.length);
            ex.getResponseBody().write(body);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
