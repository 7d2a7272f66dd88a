package dev.palisade.cli;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.Explainer;
import dev.palisade.manifest.ManifestSet;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Explains whether the policies allow one flow, and why: which policies "
                + "isolate the source (egress) and the destination (ingress), and which rule allows the flow, "
                + "or that none does.",
                "",
                "Without -f it reads the live cluster through the kubeconfig (KUBECONFIG or ~/.kube/config, "
                + "or --kubeconfig; in a pod, its ServiceAccount): it lists namespaces, nodes, pods, "
                + "networkpolicies and services, and writes nothing.",
                "",
                "An endpoint is a pod, NAMESPACE/NAME, or an IP address; an address of a pod is that pod. "
                + "Pods without an IP in the manifests are judged by their labels. On the live cluster, --to may "
                + "also be a Service, svc/NAMESPACE/NAME, or its ClusterIP: each running pod behind it is "
                + "explained on the port the Service's --port leads to (kube-proxy translates the address "
                + "before policy sees the packet)."},
        footer = {"", "Exit status: 0 allowed (for a Service: to every pod behind it), 1 denied (to any), "
                + "2 bad input (unknown pod or Service, invalid address, invalid manifests, cluster unreadable)."})
final class ExplainCommand implements Callable<Integer> {

    @Option(names = {"-f", "--manifests"}, arity = "1..*", paramLabel = "PATH",
            description = "Manifest files or directories (every *.yaml, *.yml, *.json under them); "
                    + "- reads standard input, e.g. from kubectl get pods,nodes,namespaces,networkpolicies -A -o yaml. "
                    + "Without it: the live cluster.")
    List<Path> manifests;

    @Option(names = "--kubeconfig", paramLabel = "PATH", description = "The live cluster's kubeconfig file.")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "The kubeconfig context to use.")
    String context;

    @Option(names = "--from", required = true, paramLabel = "NS/POD|IP", description = "The source.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "NS/POD|IP", description = "The destination.")
    String to;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "The destination port.")
    int port;

    @Option(names = "--protocol", defaultValue = "TCP", paramLabel = "PROTOCOL",
            description = "TCP (default), UDP or SCTP.")
    Protocol protocol;

    private final PrintStream out;
    private final PrintStream err;

    ExplainCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** What the user typed for one end: a pod or Service by name, or an address. */
    private record EndpointArgument(String option, String text, String namespace, String name, IpAddress address,
                                    boolean service) {
    }

    private static final String SERVICE = "svc/";

    @Override
    public Integer call() {
        if (port < 1 || port > 65535) {
            err.println("invalid --port " + port + ": must be between 1 and 65535");
            return Palisade.BAD_INPUT;
        }
        Optional<EndpointArgument> source = parse("--from", from);
        Optional<EndpointArgument> destination = parse("--to", to);
        if (source.isEmpty() || destination.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        boolean live = manifests == null || manifests.isEmpty();
        if (!live && (kubeconfig != null || context != null)) {
            err.println("--kubeconfig and --context are for the live cluster: leave out -f, or them");
            return Palisade.BAD_INPUT;
        }
        if (source.get().service()) {
            err.println("invalid --from \"" + from + "\": a Service receives connections, it does not open them; "
                    + "name a pod or an address");
            return Palisade.BAD_INPUT;
        }
        if (!live && destination.get().service()) {
            err.println("invalid --to \"" + to + "\": Services are resolved on the live cluster only (leave out -f)");
            return Palisade.BAD_INPUT;
        }
        Optional<LiveCluster> cluster = Optional.empty();
        Optional<ManifestSet> read;
        if (live) {
            cluster = readLive();
            if (cluster.isEmpty()) {
                return Palisade.BAD_INPUT;
            }
            read = Palisade.checked(cluster.get().manifests(), err);
        } else {
            read = Palisade.readManifests(manifests, err);
        }
        if (read.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        Explainer explainer = new Explainer(new ClusterIndex(read.get().cluster()));
        Optional<Explainer.Endpoint> a = resolve(explainer, source.get());
        if (a.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        if (cluster.isPresent()) {
            Optional<Service> service = service(cluster.get(), destination.get());
            if (destination.get().service() && service.isEmpty()) {
                return Palisade.BAD_INPUT;
            }
            if (service.isPresent()) {
                return explainService(explainer, cluster.get(), a.get(), service.get());
            }
        }
        Optional<Explainer.Endpoint> b = resolve(explainer, destination.get());
        if (b.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        Explainer.Explanation explanation = explainer.explain(a.get(), b.get(), protocol, port);
        explanation.lines().forEach(out::println);
        return explanation.allowed() ? Palisade.OK : Palisade.DENIED;
    }

    private Optional<LiveCluster> readLive() {
        try (KubernetesClient client = LiveCluster.client(Optional.ofNullable(kubeconfig), Optional.ofNullable(context))) {
            return Optional.of(LiveCluster.read(client));
        } catch (IOException | KubernetesClientException e) {
            err.println("cannot read the cluster" + (kubeconfig == null ? "" : " of " + kubeconfig) + ": "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    /** The Service the destination names, or whose ClusterIP it is; empty (and said) when a named one is missing. */
    private Optional<Service> service(LiveCluster cluster, EndpointArgument to) {
        if (to.service()) {
            Optional<Service> s = cluster.service(to.namespace(), to.name());
            if (s.isEmpty()) {
                err.println("unknown Service " + to.namespace() + "/" + to.name() + " (--to): no Service " + to.name()
                        + " in namespace " + to.namespace() + " in the cluster");
            }
            return s;
        }
        return to.address() == null ? Optional.empty() : cluster.serviceAt(to.address().toString());
    }

    /** Every running pod behind the Service, on the port the Service's port leads to on it. */
    private int explainService(Explainer explainer, LiveCluster cluster, Explainer.Endpoint from, Service service) {
        String name = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
        List<LiveCluster.Backend> backends;
        try {
            backends = cluster.backends(service, protocol.name(), port);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return Palisade.BAD_INPUT;
        }
        if (backends.isEmpty()) {
            err.println("Service " + name + " has no running pod behind port " + port + "/" + protocol
                    + ": nothing to explain");
            return Palisade.BAD_INPUT;
        }
        List<Explainer.Explanation> each = new ArrayList<>();
        for (LiveCluster.Backend backend : backends) {
            String pod = backend.pod().getMetadata().getNamespace() + "/" + backend.pod().getMetadata().getName();
            Optional<Explainer.Endpoint> to = explainer.pod(backend.pod().getMetadata().getNamespace(),
                    backend.pod().getMetadata().getName());
            if (to.isEmpty()) { // the reader left it out, and said why on stderr
                err.println("pod " + pod + " behind Service " + name + " is not one Palisade enforces for: not explained");
                return Palisade.BAD_INPUT;
            }
            each.add(explainer.explain(from, to.get(), protocol, backend.port()));
        }
        long allowed = each.stream().filter(Explainer.Explanation::allowed).count();
        out.println(allowed == each.size() ? "allowed" : allowed == 0 ? "denied"
                : "denied to " + (each.size() - allowed) + " of " + each.size() + " pods");
        out.println("service " + name + " port " + port + "/" + protocol.name().toLowerCase(java.util.Locale.ROOT)
                + ": " + backends.size() + " running pod" + (backends.size() == 1 ? "" : "s") + " behind it");
        for (int i = 0; i < each.size(); i++) {
            LiveCluster.Backend b = backends.get(i);
            out.println("- " + b.pod().getMetadata().getNamespace() + "/" + b.pod().getMetadata().getName()
                    + " port " + b.port() + ":");
            each.get(i).lines().forEach(l -> out.println("    " + l));
        }
        return allowed == each.size() ? Palisade.OK : Palisade.DENIED;
    }

    private Optional<EndpointArgument> parse(String option, String text) {
        if (text.startsWith(SERVICE)) {
            String rest = text.substring(SERVICE.length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
                err.println("invalid " + option + " \"" + text + "\": expected svc/NAMESPACE/NAME");
                return Optional.empty();
            }
            return Optional.of(new EndpointArgument(option, text, rest.substring(0, slash), rest.substring(slash + 1),
                    null, true));
        }
        int slash = text.indexOf('/');
        if (slash >= 0) {
            String namespace = text.substring(0, slash);
            String name = text.substring(slash + 1);
            if (namespace.isEmpty() || name.isEmpty() || name.indexOf('/') >= 0) {
                err.println("invalid " + option + " \"" + text + "\": expected NAMESPACE/POD or an IP address");
                return Optional.empty();
            }
            return Optional.of(new EndpointArgument(option, text, namespace, name, null, false));
        }
        try {
            return Optional.of(new EndpointArgument(option, text, null, null, IpAddress.parse(text), false));
        } catch (IllegalArgumentException e) {
            err.println("invalid " + option + " \"" + text + "\": not an IP address (expected NAMESPACE/POD or an IP address)");
            return Optional.empty();
        }
    }

    private Optional<Explainer.Endpoint> resolve(Explainer explainer, EndpointArgument arg) {
        if (arg.address() != null) {
            return Optional.of(explainer.address(arg.address()));
        }
        Optional<Explainer.Endpoint> pod = explainer.pod(arg.namespace(), arg.name());
        if (pod.isEmpty()) {
            err.println("unknown pod " + arg.text() + " (" + arg.option() + "): no Pod " + arg.name()
                    + " in namespace " + arg.namespace() + (manifests == null || manifests.isEmpty()
                    ? " in the cluster" : " in the manifests"));
        }
        return pod;
    }
}
