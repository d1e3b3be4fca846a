package io.veto.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded job jar ({@code target/veto.jar}, what a cluster runs) holds the job and the libraries
 * it needs at run time, and nothing else: no tool (rules tool, generator, local run, embedded broker,
 * backtest, benchmarks, all in {@code src/tools/java}), no test or benchmark class, no class of a
 * {@code provided} dependency (Flink, the Kafka broker, HdrHistogram, logging) that the cluster
 * brings itself. An ITCase because the jar is written by {@code package}, which runs before it.
 */
class JobJarITCase {
    private static final Path TARGET = Path.of("target");
    private static final List<String> TOOL_PACKAGES =
            List.of("io/veto/backtest/", "io/veto/bench/", "io/veto/cli/", "io/veto/generator/", "io/veto/local/");

    private static Set<String> jobJarClasses;

    @BeforeAll
    static void readJobJar() {
        Path jar = TARGET.resolve("veto.jar");
        assertThat(jar)
                .as("written by `mvn package`; run this test with `mvn verify`")
                .isRegularFile();
        jobJarClasses = classes(jar);
    }

    @Test
    void shouldHoldTheJobItsEntryPointAndWhatItRunsRuleExamplesWith() throws IOException {
        assertThat(jobJarClasses)
                .contains(
                        "io/veto/job/VetoJob.class",
                        "io/veto/job/VetoPipeline.class",
                        "io/veto/stage/card/CardDecisionFunction.class",
                        "io/veto/scoring/ExampleRunner.class", // a published set's examples run in the job
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/apache/flink/cep/nfa/NFA.class",
                        "dev/cel/bundle/CelFactory.class",
                        "picocli/CommandLine.class"); // the job's options
        try (JarFile jar = new JarFile(TARGET.resolve("veto.jar").toFile())) {
            Manifest manifest = jar.getManifest();
            assertThat(manifest.getMainAttributes().getValue("Main-Class")).isEqualTo("io.veto.job.VetoJob");
        }
    }

    @Test
    void shouldHoldNoToolClass() {
        Set<String> toolClasses = classesUnder(TARGET.resolve("tools-classes"));
        assertThat(toolClasses)
                .as("target/tools-classes, compiled from src/tools/java")
                .contains(
                        "io/veto/cli/VetoCli.class",
                        "io/veto/local/EmbeddedKafkaBroker.class",
                        "io/veto/local/LocalRun.class",
                        "io/veto/generator/PaymentGenerator.class");
        assertThat(intersection(jobJarClasses, toolClasses))
                .as("tool classes in the job jar")
                .isEmpty();
        assertThat(jobJarClasses)
                .as("classes of the tool packages in the job jar")
                .noneMatch(c -> TOOL_PACKAGES.stream().anyMatch(c::startsWith));
    }

    @Test
    void shouldHoldNoTestOrBenchmarkClass() throws IOException {
        Set<String> testClasses = classesUnder(TARGET.resolve("test-classes"));
        assertThat(testClasses).contains("io/veto/job/JobJarITCase.class");
        assertThat(intersection(jobJarClasses, testClasses))
                .as("test classes in the job jar")
                .isEmpty();
        // JMH benchmarks compile only in the bench profile (target/bench): named by their sources.
        Set<String> benchmarks = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(Path.of("src/jmh/java"))) {
            sources.filter(p -> p.toString().endsWith(".java"))
                    .forEach(p -> benchmarks.add(Path.of("src/jmh/java")
                            .relativize(p)
                            .toString()
                            .replace('\\', '/')
                            .replaceAll("\\.java$", ".class")));
        }
        assertThat(benchmarks).contains("io/veto/bench/ParseBenchmark.class");
        assertThat(intersection(jobJarClasses, benchmarks))
                .as("JMH benchmark classes in the job jar")
                .isEmpty();
        assertThat(jobJarClasses)
                .as("test and benchmark libraries in the job jar")
                .noneMatch(c -> c.startsWith("org/openjdk/jmh/")
                        || c.startsWith("org/junit/")
                        || c.startsWith("org/assertj/")
                        || c.startsWith("org/apache/flink/test/")
                        || c.startsWith("org/apache/flink/runtime/testutils/"));
    }

    @Test
    void shouldHoldNoClassOfAProvidedDependency() {
        Set<String> bundled = new TreeSet<>();
        classpath("bundled-classpath.txt").forEach(jar -> bundled.addAll(classes(jar)));
        Map<String, List<String>> offenders = new TreeMap<>();
        List<Path> provided = classpath("provided-classpath.txt");
        for (Path jar : provided) {
            for (String c : classes(jar)) {
                // A class a bundled library carries too (SnakeYAML's, inside flink-shaded-jackson) is that library's.
                if (jobJarClasses.contains(c) && !bundled.contains(c)) {
                    offenders
                            .computeIfAbsent(jar.getFileName().toString(), k -> new ArrayList<>())
                            .add(c);
                }
            }
        }
        assertThat(provided.stream().map(p -> p.getFileName().toString()))
                .as("provided dependencies")
                .anyMatch(n -> n.startsWith("flink-core-"))
                .anyMatch(n -> n.startsWith("flink-streaming-java-"))
                .anyMatch(n -> n.startsWith("kafka_2.13-"))
                .anyMatch(n -> n.startsWith("HdrHistogram-"));
        assertThat(offenders)
                .as("classes of provided dependencies in the job jar, by dependency")
                .isEmpty();
        assertThat(jobJarClasses)
                .doesNotContain(
                        "org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class",
                        "org/apache/flink/api/common/ExecutionConfig.class",
                        "kafka/server/KafkaRaftServer.class",
                        "org/HdrHistogram/Histogram.class",
                        "scala/Predef.class");
    }

    private static List<Path> classpath(String file) {
        Path path = TARGET.resolve(file);
        assertThat(path).as("written by `mvn package`").isRegularFile();
        try {
            return Stream.of(Files.readString(path).trim().split(File.pathSeparator))
                    .filter(s -> s.endsWith(".jar"))
                    .map(Path::of)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> classes(Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Set<String> out = new TreeSet<>();
            zip.stream().map(ZipEntry::getName).filter(JobJarITCase::isClass).forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(jar.toString(), e);
        }
    }

    private static Set<String> classesUnder(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            Set<String> out = new TreeSet<>();
            files.map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .filter(JobJarITCase::isClass)
                    .forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(dir.toString(), e);
        }
    }

    private static boolean isClass(String name) {
        return name.endsWith(".class") && !name.endsWith("module-info.class");
    }

    private static Set<String> intersection(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.retainAll(b);
        return out;
    }
}
