package dev.nbdref.interop.matrix;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import dev.nbdref.interop.PeerResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame.OutputType;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs one shell script to completion in a peer image: host networking (the container reaches nbdref on
 * 127.0.0.1), no pulls (the images are built locally), a scratch directory bind-mounted at {@link #WORKDIR}, and
 * any further host directories (TLS credentials) bind-mounted read-only at their own paths.
 * Whatever the exit status, the result carries it with both output streams; a script still running at the
 * timeout is stopped and reported as timed out.
 */
final class ContainerRun {

    /** Where the scratch directory appears inside the container ({@code {workdir}} in scenarios). */
    static final String WORKDIR = "/work";

    private ContainerRun() {
    }

    /** Successful once the container has stopped, whatever its exit code: the caller judges the code. */
    private static final class RunToCompletion extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(DockerClient dockerClient, String containerId) {
            InspectContainerResponse.ContainerState state = getCurrentState(dockerClient, containerId);
            return Boolean.TRUE.equals(state.getRunning()) ? StartupStatus.NOT_YET_KNOWN : StartupStatus.SUCCESSFUL;
        }
    }

    static PeerResult run(String image, String script, Path workdir, Duration timeout) {
        return run(image, script, workdir, List.of(), timeout);
    }

    /** {@code readOnly}: host directories the script reads, mounted at the same path so commands name them as is. */
    static PeerResult run(String image, String script, Path workdir, List<Path> readOnly, Duration timeout) {
        List<String> shown = new ArrayList<>(List.of("docker", "run", "--network=host", "-v", workdir + ":" + WORKDIR));
        List<Bind> binds = new ArrayList<>(List.of(new Bind(workdir.toString(), new Volume(WORKDIR))));
        for (Path dir : readOnly) {
            shown.addAll(List.of("-v", dir + ":" + dir + ":ro"));
            binds.add(new Bind(dir.toString(), new Volume(dir.toString()), AccessMode.ro));
        }
        shown.addAll(List.of(image, "sh", "-ec", script));
        long start = System.nanoTime();
        try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))) {
            container.withImagePullPolicy(name -> false)
                    .withNetworkMode("host")
                    .withEnv("LC_ALL", "C")
                    .withEnv("LANG", "C")
                    // Bound through the create command rather than withFileSystemBind: that one first checks
                    // file mounting with a helper image (alpine), which cannot be pulled here and costs minutes.
                    .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(binds))
                    .withWorkingDirectory(WORKDIR)
                    .withCommand("/bin/sh", "-ec", script)
                    .withStartupCheckStrategy(new RunToCompletion().withTimeout(timeout));
            boolean timedOut = false;
            try {
                container.start();
            } catch (ContainerLaunchException e) {
                // The startup check gives up only at the timeout; anything earlier (no such image, a refused
                // create or start) is a harness problem, not a peer result.
                if (container.getContainerId() == null
                        || Duration.ofNanos(System.nanoTime() - start).compareTo(timeout) < 0) {
                    throw e;
                }
                timedOut = true;
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String stdout = container.getLogs(OutputType.STDOUT);
            String stderr = container.getLogs(OutputType.STDERR);
            Long exit = timedOut ? null : container.getDockerClient().inspectContainerCmd(container.getContainerId())
                    .exec().getState().getExitCodeLong();
            return new PeerResult(shown, exit == null ? -1 : exit.intValue(), stdout, stderr, timedOut, elapsed);
        }
    }
}
