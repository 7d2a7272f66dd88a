package dev.palisade.cli;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.Explainer;
import dev.palisade.manifest.ManifestSet;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Explains whether the policies in the manifests allow one flow, and why: which policies "
                + "isolate the source (egress) and the destination (ingress), and which rule allows the flow, "
                + "or that none does.",
                "",
                "An endpoint is a pod, NAMESPACE/NAME, or an IP address; an address of a pod is that pod. "
                + "Pods without an IP in the manifests are judged by their labels."},
        footer = {"", "Exit status: 0 allowed, 1 denied, 2 bad input (unknown pod, invalid address, "
                + "invalid manifests)."})
final class ExplainCommand implements Callable<Integer> {

    @Option(names = {"-f", "--manifests"}, required = true, arity = "1..*", paramLabel = "PATH",
            description = "Manifest files or directories (every *.yaml, *.yml, *.json under them); "
                    + "- reads standard input, e.g. from kubectl get pods,nodes,namespaces,networkpolicies -A -o yaml.")
    List<Path> manifests;

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

    /** What the user typed for one end: a pod by name, or an address. */
    private record EndpointArgument(String option, String text, String namespace, String name, IpAddress address) {
    }

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
        Optional<ManifestSet> read = Palisade.readManifests(manifests, err);
        if (read.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        Explainer explainer = new Explainer(new ClusterIndex(read.get().cluster()));
        Optional<Explainer.Endpoint> a = resolve(explainer, source.get());
        Optional<Explainer.Endpoint> b = resolve(explainer, destination.get());
        if (a.isEmpty() || b.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        Explainer.Explanation explanation = explainer.explain(a.get(), b.get(), protocol, port);
        explanation.lines().forEach(out::println);
        return explanation.allowed() ? Palisade.OK : Palisade.DENIED;
    }

    private Optional<EndpointArgument> parse(String option, String text) {
        int slash = text.indexOf('/');
        if (slash >= 0) {
            String namespace = text.substring(0, slash);
            String name = text.substring(slash + 1);
            if (namespace.isEmpty() || name.isEmpty() || name.indexOf('/') >= 0) {
                err.println("invalid " + option + " \"" + text + "\": expected NAMESPACE/POD or an IP address");
                return Optional.empty();
            }
            return Optional.of(new EndpointArgument(option, text, namespace, name, null));
        }
        try {
            return Optional.of(new EndpointArgument(option, text, null, null, IpAddress.parse(text)));
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
                    + " in namespace " + arg.namespace() + " in the manifests");
        }
        return pod;
    }
}
