package dev.palisade.operator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API server restarts under a running operator. Its watch cache starts at etcd's current revision,
 * which other writes have moved past the informers' last resource versions, so the informers' watches
 * come back "410 Gone (too old resource version)" and they relist; the operator converges on what
 * changed after the restart.
 */
class ApiServerRestartApiTest {

    @Test
    void operatorRelistsAfterWatchExpiresAndConverges() throws Exception {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        ListAppender<ILoggingEvent> reflector = new ListAppender<>();
        Logger log = (Logger) LoggerFactory.getLogger("io.fabric8.kubernetes.client.informers.impl.cache.Reflector");
        Level before = log.getLevel();
        log.setLevel(Level.DEBUG);
        log.addAppender(reflector);
        reflector.start();

        fx.node("ar-node");
        fx.namespace("ar", Map.of());
        fx.pod("ar", "server", "ar-node", "10.100.0.1", Map.of("app", "server"));
        fx.pod("ar", "visitor", "ar-node", "10.100.0.2", Map.of());
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: server, namespace: ar}
                spec:
                  podSelector: {matchLabels: {app: server}}
                  ingress: [{from: [{podSelector: {matchLabels: {role: client}}}]}]
                """);
        KubernetesClient c = cluster.asOperator();
        Operator op = OperatorMain.start(OperatorApiTest.testConfig("op-restart"), c);
        try {
            fx.converged("ar-node");
            // Move etcd's revision past what the operator's informers last saw.
            for (int i = 0; i < 5; i++) {
                admin.configMaps().inNamespace("ar").resource(new ConfigMapBuilder().withNewMetadata()
                        .withName("tick-" + i).endMetadata().addToData("i", "" + i).build()).create();
            }
            restartApiServer(cluster);
            fx.label("ar", "visitor", Map.of("role", "client"));
            var rs = fx.converged("ar-node");
            assertTrue(!rs.ingress().grants().isEmpty(), rs.toString());
            List<String> gone = new ArrayList<>();
            reflector.list.forEach(e -> {
                if (e.getFormattedMessage().contains("http gone")) {
                    gone.add(e.getFormattedMessage());
                }
            });
            assertTrue(!gone.isEmpty(), "no informer saw 410 Gone; reflector said: "
                    + reflector.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        } finally {
            op.close();
            c.close();
            log.detachAppender(reflector);
            log.setLevel(before);
        }
    }

    /**
     * Kills kube-apiserver and starts it again with the same command line (same port and certificates,
     * same etcd). kube-api-test has no restart, and its stop() wipes etcd; this reaches into its fields.
     * Workaround for fabric8 kube-api-test 7.6.1; remove when it can restart the API server alone.
     */
    static void restartApiServer(TestCluster cluster) throws Exception {
        KubeAPIServer server = field(cluster, "server");
        Object processHolder = field(server, "kubeApiServerProcess");
        Process old = field(processHolder, "apiServerProcess");
        List<String> command = new ArrayList<>();
        command.add(old.info().command().orElseThrow());
        command.addAll(List.of(old.info().arguments().orElseThrow()));
        set(processHolder, "stopped", true);
        old.destroyForcibly();
        old.waitFor();
        Process fresh = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        set(processHolder, "apiServerProcess", fresh);
        set(processHolder, "stopped", false);
        eventually(Duration.ofSeconds(60), () -> {
            try {
                cluster.admin().namespaces().withName("default").get();
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }, () -> "API server did not come back");
    }

    @SuppressWarnings("unchecked")
    private static <T> T field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return (T) f.get(o);
    }

    private static void set(Object o, String name, Object value) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        f.set(o, value);
    }
}
