package dev.palisade.cli;

import dev.palisade.agent.AgentConfig;
import dev.palisade.agent.AgentMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Runs the node agent: programs this node's PalisadeNodeRuleSet into nftables (table inet palisade), "
                + "repairs drift, reports what it applied; with --cni it also gives pods a network.",
                "Options (--name=value or --name value): --node (default: NODE_NAME), --http-port, --verify-interval "
                + "(seconds), --no-pending-guard, --pending-cidr, --cluster-cidr, --cni, --cni-preset kind|k3s, "
                + "--cni-bin-dir, --cni-conf-dir, --cni-run-dir, --cni-mtu, --cni-ipam-data-dir, --netns, --daemonset namespace/name "
                + "(default: POD_NAMESPACE/PALISADE_DAEMONSET; when that DaemonSet is deleted or no longer selects the node, "
                + "the stopping agent deletes its table).",
                "Without flags the environment configures it: NODE_NAME, PALISADE_HTTP_PORT, PALISADE_VERIFY_INTERVAL, PALISADE_CNI, "
                + "PALISADE_CNI_PRESET, PALISADE_CNI_BIN_DIR, PALISADE_CNI_CONF_DIR, PALISADE_CNI_RUN_DIR."})
final class AgentCommand implements Callable<Integer> {

    @Unmatched
    List<String> flags = new ArrayList<>();

    private final PrintStream err;

    AgentCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() throws InterruptedException {
        AgentConfig config;
        try {
            // Flags, when given, replace the environment's settings (NODE_NAME still gives the default node).
            config = flags.isEmpty() ? AgentConfig.fromEnvironment(System.getenv())
                    : AgentConfig.parse(flags, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("palisade agent: " + e.getMessage());
            return Palisade.BAD_INPUT;
        }
        Palisade.serverLogging();
        AgentMain.run(config);
        return Palisade.OK;
    }
}
