package dev.palisade.cli;

import dev.palisade.manifest.ManifestReader;
import dev.palisade.manifest.ManifestSet;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster as the API server has it now, read once through a kubeconfig: the objects the
 * compiler reads go through the same reader as manifest files (so a live answer and an answer from
 * {@code kubectl get -o yaml} output are the same answer), and Services are kept beside them to
 * turn a Service name or ClusterIP into the pods behind it.
 *
 * <p>Needs list on namespaces, nodes, pods, networkpolicies and services, cluster-wide; nothing else
 * (no secrets, no writes).
 */
record LiveCluster(ManifestSet manifests, List<Service> services, List<Pod> pods) {

    /** A client for the kubeconfig's current context, or the given file and context; in a pod, its ServiceAccount. */
    static KubernetesClient client(Optional<Path> kubeconfig, Optional<String> context) throws IOException {
        Config config;
        if (kubeconfig.isPresent()) {
            Path file = kubeconfig.get();
            config = Config.fromKubeconfig(context.orElse(null), Files.readString(file), file.toString());
        } else {
            if (!anyKubeconfig()) {
                throw new IOException("no kubeconfig (KUBECONFIG unset, no ~/.kube/config, not in a pod): "
                        + "give --kubeconfig, or -f with manifests");
            }
            config = Config.autoConfigure(context.orElse(null));
        }
        // A command, not a controller: say at once that the cluster cannot be reached.
        config.setRequestRetryBackoffLimit(1);
        config.setConnectionTimeout(10_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static boolean anyKubeconfig() {
        String env = System.getenv("KUBECONFIG");
        return (env != null && !env.isBlank())
                || Files.exists(Path.of(System.getProperty("user.home"), ".kube", "config"))
                || Files.exists(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
    }

    static LiveCluster read(KubernetesClient client) {
        KubernetesSerialization json = client.getKubernetesSerialization();
        PodList pods = client.pods().inAnyNamespace().list();
        Map<String, String> sources = new TreeMap<>();
        sources.put(source("namespaces"), json.asJson(client.namespaces().list()));
        sources.put(source("nodes"), json.asJson(client.nodes().list()));
        sources.put(source("pods"), json.asJson(pods));
        sources.put(source("networkpolicies"), json.asJson(client.network().v1().networkPolicies().inAnyNamespace().list()));
        List<Service> services = client.services().inAnyNamespace().list().getItems();
        return new LiveCluster(ManifestReader.readTexts(sources), services, pods.getItems());
    }

    /** Named so the reader takes it as JSON, and so a diagnostic says where the object came from. */
    private static String source(String resource) {
        return "cluster:" + resource + ".json";
    }

    Optional<Service> service(String namespace, String name) {
        return services.stream().filter(s -> namespace.equals(s.getMetadata().getNamespace())
                && name.equals(s.getMetadata().getName())).findFirst();
    }

    /** The Service whose ClusterIP (any of its clusterIPs) this is. */
    Optional<Service> serviceAt(String address) {
        return services.stream().filter(s -> s.getSpec() != null && (address.equals(s.getSpec().getClusterIP())
                || (s.getSpec().getClusterIPs() != null && s.getSpec().getClusterIPs().contains(address)))).findFirst();
    }

    /** One pod behind a Service port, and the port a connection to the Service reaches on it. */
    record Backend(Pod pod, int port) {
    }

    /**
     * The running pods a Service selects, each with the port that the Service's {@code port} leads to
     * (its {@code targetPort}: a number, or a name looked up in that pod's containers). Pods that are
     * not running, have no address, or do not declare a named target port receive nothing and are left out.
     *
     * @throws IllegalArgumentException when the Service has no such port or no selector
     */
    List<Backend> backends(Service service, String protocol, int port) {
        String name = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
        Map<String, String> selector = service.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            throw new IllegalArgumentException("Service " + name + " has no selector: its endpoints are managed "
                    + "elsewhere, name a pod or an address instead");
        }
        ServicePort sp = service.getSpec().getPorts().stream()
                .filter(p -> p.getPort() == port && protocol.equalsIgnoreCase(Objects.requireNonNullElse(p.getProtocol(), "TCP")))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("Service " + name + " has no port "
                        + port + "/" + protocol + " (it has " + service.getSpec().getPorts().stream()
                        .map(p -> p.getPort() + "/" + Objects.requireNonNullElse(p.getProtocol(), "TCP")).toList() + ")"));
        List<Backend> out = new ArrayList<>();
        for (Pod pod : pods) {
            if (!service.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
                    || pod.getMetadata().getLabels() == null
                    || !pod.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())
                    || pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())
                    || pod.getStatus().getPodIP() == null || pod.getStatus().getPodIP().isEmpty()) {
                continue;
            }
            targetPort(sp, pod).ifPresent(p -> out.add(new Backend(pod, p)));
        }
        out.sort((a, b) -> a.pod().getMetadata().getName().compareTo(b.pod().getMetadata().getName()));
        return out;
    }

    private static Optional<Integer> targetPort(ServicePort sp, Pod pod) {
        IntOrString target = sp.getTargetPort();
        if (target == null) {
            return Optional.of(sp.getPort());
        }
        if (target.getIntVal() != null) {
            return Optional.of(target.getIntVal());
        }
        String named = target.getStrVal();
        return pod.getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.empty() : c.getPorts().stream())
                .filter(p -> named.equals(p.getName()))
                .map(p -> p.getContainerPort()).findFirst();
    }
}
