package dev.palisade.cli;

import dev.palisade.operator.OperatorConfig;
import dev.palisade.operator.OperatorMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

@Command(name = "operator", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the cluster-level controller: watches NetworkPolicy, Pod, Namespace and Node objects, "
                + "compiles them and publishes one PalisadeNodeRuleSet per node while it holds the leader Lease.",
                "Configured from the environment (POD_NAME, POD_NAMESPACE, PALISADE_HTTP_PORT) and these options; "
                + "the Kubernetes client uses the in-cluster service account, else the kubeconfig."})
final class OperatorCommand implements Callable<Integer> {

    @Option(names = "--namespace", paramLabel = "NS", description = "Namespace of the leader Lease (default: POD_NAMESPACE or palisade-system).")
    String namespace;

    @Option(names = "--identity", paramLabel = "ID", description = "This replica's name in the Lease (default: POD_NAME or HOSTNAME).")
    String identity;

    @Option(names = "--http-port", paramLabel = "PORT", description = "Port of /metrics, /healthz and /readyz (default 9090).")
    Integer httpPort;

    @Override
    public Integer call() throws InterruptedException {
        Palisade.serverLogging();
        OperatorConfig config = OperatorConfig.fromEnvironment(System.getenv());
        if (namespace != null) {
            config = config.withNamespace(namespace);
        }
        if (identity != null) {
            config = config.withIdentity(identity);
        }
        if (httpPort != null) {
            config = config.withHttp(new InetSocketAddress(httpPort));
        }
        OperatorMain.run(config);
        return Palisade.OK;
    }
}
