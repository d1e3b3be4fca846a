package io.veto;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.veto.stage.JobTags;
import java.nio.file.Path;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure {@code docs/ARCHITECTURE.md} draws, checked on the compiled classes of the
 * job ({@code target/classes}) and the tools ({@code target/tools-classes}):
 *
 * <ul>
 *   <li>the model (events, features, rules, sequences, decisions and the state types of each stage)
 *       knows nothing of the operators that run it, the operators nothing of the wiring, and the job
 *       nothing of the tools;
 *   <li>no two packages depend on each other, directly or round a longer cycle;
 *   <li>each operator's package ({@code io.veto.stage.card}, {@code .entity}, {@code .customer},
 *       {@code .fanout}, {@code .rules}) uses only what all operators share ({@code io.veto.stage})
 *       and the model, never another operator;
 *   <li>every side-output tag and every operator's state descriptor is made in {@link JobTags}.
 * </ul>
 *
 * Each rule is also run against a class made to break it, so none of them passes vacuously.
 */
class ArchitectureTest {
    private static final String[] MODEL = {
        "io.veto.event..", "io.veto.feature..", "io.veto.rule..", "io.veto.decision..", "io.veto.sequence..",
        "io.veto.entity..", "io.veto.card..", "io.veto.scoring..", "io.veto.serde..", "io.veto.time..",
        "io.veto.metrics.."
    };
    private static final String[] TOOLS = {
        "io.veto.backtest..", "io.veto.bench..", "io.veto.cli..", "io.veto.generator..", "io.veto.local.."
    };

    private static JavaClasses job;
    private static JavaClasses all;

    @BeforeAll
    static void importClasses() {
        Path jobClasses = Path.of("target", "classes");
        Path toolClasses = Path.of("target", "tools-classes");
        assertThat(jobClasses.resolve("io/veto/job/VetoJob.class")).exists();
        assertThat(toolClasses.resolve("io/veto/cli/VetoCli.class")).exists();
        job = new ClassFileImporter().importPath(jobClasses);
        all = new ClassFileImporter().importPaths(jobClasses, toolClasses);
    }

    static ArchRule layers() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("Model")
                .definedBy(MODEL)
                .layer("Operators")
                .definedBy("io.veto.stage..")
                .layer("Wiring")
                .definedBy("io.veto.job..", "io.veto.kafka..")
                .layer("Tools")
                .definedBy(TOOLS)
                .whereLayer("Tools")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("Wiring")
                .mayOnlyBeAccessedByLayers("Tools")
                .whereLayer("Operators")
                .mayOnlyBeAccessedByLayers("Wiring", "Tools")
                .whereLayer("Model")
                .mayOnlyBeAccessedByLayers("Operators", "Wiring", "Tools");
    }

    static ArchRule noCycles() {
        return slices().matching("io.veto.(**)").should().beFreeOfCycles();
    }

    static ArchRule operatorsApart() {
        return slices().matching("io.veto.stage.(*)..").should().notDependOnEachOther();
    }

    static ArchRule jobWithoutTools() {
        return noClasses()
                .that()
                .resideOutsideOfPackages(TOOLS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(TOOLS);
    }

    static ArchRule tagsAndDescriptorsInJobTags() {
        return noClasses()
                .that(describe("are not JobTags", (JavaClass c) -> !c.getName().startsWith(JobTags.class.getName())))
                .and()
                .resideInAnyPackage("io.veto.stage..", "io.veto.job..", "io.veto.kafka..")
                .should()
                .callConstructorWhere(describe(
                        "the constructor makes an OutputTag or a StateDescriptor",
                        call -> assignableTo(OutputTag.class).test(call.getTargetOwner())
                                || assignableTo(StateDescriptor.class).test(call.getTargetOwner())));
    }

    @Test
    void shouldLayerModelOperatorsWiringAndTools() {
        layers().check(all);
    }

    @Test
    void shouldHaveNoPackageCycle() {
        noCycles().check(all);
    }

    @Test
    void shouldKeepEachOperatorOutOfTheOthers() {
        operatorsApart().check(job);
    }

    @Test
    void shouldKeepTheJobFreeOfTools() {
        jobWithoutTools().check(all);
    }

    @Test
    void shouldMakeEveryTagAndDescriptorInJobTags() {
        tagsAndDescriptorsInJobTags().check(all);
    }

    @Test
    void shouldFailEachRuleOnAClassThatBreaksIt() throws Exception {
        // Classes in the test sources that break each rule on purpose (io.veto.architecture, io.veto.stage.probe),
        // seen with the job's and the tools' classes, whose incoming dependencies the layer rule checks.
        Path cycle = Path.of("target", "test-classes", "io", "veto", "architecture");
        Path probes = Path.of("target", "test-classes", "io", "veto", "stage", "probe");
        assertThat(cycle).isDirectory();
        assertThat(probes).isDirectory();
        JavaClasses broken = new ClassFileImporter()
                .importPaths(Path.of("target", "classes"), Path.of("target", "tools-classes"), cycle, probes);

        EvaluationResult cycles = noCycles().evaluate(broken);
        EvaluationResult apart = operatorsApart().evaluate(broken);
        EvaluationResult tags = tagsAndDescriptorsInJobTags().evaluate(broken);
        EvaluationResult layered = layers().evaluate(broken);

        assertThat(cycles.hasViolation())
                .as("a cycle between two test packages is found")
                .isTrue();
        assertThat(cycles.getFailureReport().toString()).contains("io.veto.architecture.");
        assertThat(layered.getFailureReport().toString()).contains("io.veto.stage.probe.ReachesIntoWiring");
        assertThat(apart.getFailureReport().toString()).contains("io.veto.stage.probe.ReachesIntoCard");
        assertThat(tags.getFailureReport().toString()).contains("io.veto.stage.probe.OwnTag");
    }
}
