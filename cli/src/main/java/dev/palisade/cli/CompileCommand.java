package dev.palisade.cli;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.dataplane.render.NodeScript;
import dev.palisade.manifest.ManifestSet;
import dev.palisade.model.Cluster;
import dev.palisade.ruleset.NodeRuleSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compiles the policies in the manifests for one node and prints what that node's agent "
                + "would load: the nft script (--format nft) or the node's rule set (--format json)."},
        footer = {"", "Exit status: 0 compiled, 2 bad input (each problem is printed on stderr with file, "
                + "document and field)."})
final class CompileCommand implements Callable<Integer> {

    enum Format { nft, json }

    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to compile for.")
    String node;

    @Option(names = {"-f", "--manifests"}, required = true, arity = "1..*", paramLabel = "PATH",
            description = "Manifest files or directories (every *.yaml, *.yml, *.json under them); "
                    + "- reads standard input, e.g. from kubectl get pods,nodes,namespaces,networkpolicies -A -o yaml.")
    List<Path> manifests;

    @Option(names = "--format", defaultValue = "nft", paramLabel = "FORMAT",
            description = "nft (default) or json.")
    Format format;

    private final PrintStream out;
    private final PrintStream err;

    CompileCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        Optional<ManifestSet> read = Palisade.readManifests(manifests, err);
        if (read.isEmpty()) {
            return Palisade.BAD_INPUT;
        }
        Cluster cluster = read.get().cluster();
        boolean known = cluster.nodes().stream().anyMatch(n -> n.name().equals(node))
                || cluster.pods().stream().anyMatch(p -> node.equals(p.nodeName()));
        if (!known) {
            err.println("unknown node " + node + ": no Node object and no pod's spec.nodeName in the manifests");
            return Palisade.BAD_INPUT;
        }
        NodeRuleSet rules = new PolicyCompiler(new ClusterIndex(cluster)).compileNode(node);
        // Render completely before printing, so a failure leaves stdout empty.
        String text = format == Format.json ? RuleSetJson.write(rules) : NodeScript.render(rules);
        out.print(text);
        if (!text.endsWith("\n")) {
            out.println();
        }
        return Palisade.OK;
    }
}
