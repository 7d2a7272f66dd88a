package dev.palisade.agent.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /metrics} (Prometheus text), {@code /healthz} (the sync loop is alive and not stuck) and
 * {@code /readyz} (the first full apply has succeeded: the node's pods are guarded and, in CNI mode,
 * the CNI configuration is written).
 */
public final class HttpEndpoints implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);

    private final HttpServer server;
    private final ExecutorService executor;

    public HttpEndpoints(InetSocketAddress address, AgentMetrics metrics, BooleanSupplier healthy,
                         BooleanSupplier ready) throws IOException {
        server = HttpServer.create(address, 16);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
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
        executor.shutdownNow();
    }
}
