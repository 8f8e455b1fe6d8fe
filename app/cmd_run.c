/* cmd_run.c - `mpihpo run STUDY.yaml`: one process, or rank 0 coordinating
 * and ranks 1.. training under mpirun/srun. */
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "dataset.h"
#include "error.h"
#include "hpo_mpi.h"
#include "mpihpo.h"
#include "objective_mlp.h"
#include "study_impl.h"

static const char k_run_help[] =
    "usage: mpihpo run STUDY.yaml [options]\n"
    "\n"
    "Runs the study: trains one MLP per trial on the study's data set, with the\n"
    "hyperparameters the sampler suggests, and prints one line per finished trial\n"
    "and a summary (best value and parameters, trials by state, wall time).\n"
    "\n"
    "options:\n"
    "  -n, --trials N        run N trials (overrides study.trials)\n"
    "  -s, --seed S          seed of the sampler and of every trial's training\n"
    "                        (overrides study.seed; same seed, same trials)\n"
    "  -t, --timeout SEC     stop starting trials after SEC seconds (0: no limit;\n"
    "                        overrides study.timeout)\n"
    "      --sampler NAME    override sampler.type (random, ...)\n"
    "      --blas-threads K  OpenBLAS threads per process (default 1)\n"
    "  -q, --quiet           no per-trial lines, only the summary\n"
    "      --help-config     list every key a study file may hold, with defaults\n"
    "  -h, --help            show this text\n"
    "\n"
    "The study file (YAML) has the sections study, sampler, pruner, data and\n"
    "train; see README.md and jobs/heart.yaml.\n";

/* Started by mpirun, mpiexec or srun? (Open MPI and PMIx set these.) */
static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_summary(const hpo_study *s, double seconds, FILE *f)
{
    size_t n = hpo_study_n_trials(s), count[4] = {0};
    for (size_t i = 0; i < n; i++) count[hpo_rec_state(hpo_study_trial(s, i))]++;
    int seeded;
    uint64_t seed = hpo_study_seed(s, &seeded);
    fprintf(f, "\nStudy '%s' finished: %zu trials (%zu complete, %zu pruned, %zu failed) in %.2f s\n",
            hpo_study_name(s), n, count[HPO_COMPLETE], count[HPO_PRUNED], count[HPO_FAIL], seconds);
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    if (!b) {
        fprintf(f, "No trial completed, so there is no best trial.\n");
    } else {
        fprintf(f, "Best trial %" PRId64 ": value %.6f\n", hpo_rec_number(b), hpo_rec_value(b));
        for (size_t i = 0; i < hpo_rec_n_params(b); i++) {
            char v[256];
            hpo_rec_param_format(b, i, v, sizeof v);
            fprintf(f, "  %-20s %s\n", hpo_rec_param_name(b, i), v);
        }
    }
    fprintf(f, "Seed: %" PRIu64 "%s\n", seed, seeded ? "" : " (drawn at random; pass --seed to repeat this study)");
}

static hpo_data_opts data_opts(const hpo_config *c)
{
    hpo_data_opts o;
    hpo_data_opts_default(&o);
    o.path = c->data.path;
    o.target = c->data.target;
    o.validation_fraction = c->data.validation_fraction;
    o.split = c->data.split ? HPO_SPLIT_RANDOM : HPO_SPLIT_SKLEARN;
    o.split_seed = c->data.split_seed;
    o.standardize = c->data.standardize;
    o.missing = (hpo_missing)c->data.missing;
    return o;
}

static hpo_status configure(hpo_study *s, const hpo_config *c, const char *sampler_override)
{
    HPO_TRY(hpo_study_set_name(s, c->study.name));
    HPO_TRY(hpo_study_set_direction(s, c->study.direction));
    if (c->study.has_seed) HPO_TRY(hpo_study_set_seed(s, c->study.seed));
    hpo_sampler_opts so;
    hpo_sampler_opts_default(&so, sampler_override ? sampler_override : c->sampler.type);
    so.startup_trials = c->sampler.startup_trials;
    so.ei_candidates = c->sampler.ei_candidates;
    so.multivariate = c->sampler.multivariate;
    so.group = c->sampler.group;
    so.constant_liar = c->sampler.constant_liar;
    so.prior_weight = c->sampler.prior_weight;
    HPO_TRY(hpo_study_set_sampler_opts(s, &so));
    hpo_pruner_opts po;
    hpo_pruner_opts_default(&po, c->pruner.type);
    po.n_startup_trials = c->pruner.n_startup_trials;
    po.n_warmup_steps = c->pruner.n_warmup_steps;
    po.interval_steps = c->pruner.interval_steps;
    po.n_min_trials = c->pruner.n_min_trials;
    po.percentile = c->pruner.percentile;
    po.min_resource = c->pruner.min_resource;
    po.max_resource = c->pruner.max_resource;
    po.reduction_factor = c->pruner.reduction_factor;
    po.min_early_stopping_rate = c->pruner.min_early_stopping_rate;
    po.bootstrap_count = c->pruner.bootstrap_count;
    HPO_TRY(hpo_study_set_pruner_opts(s, &po));
    return HPO_OK;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trials", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
        {"timeout", required_argument, 0, 't'}, {"sampler", required_argument, 0, 'S'},
        {"blas-threads", required_argument, 0, 'B'}, {"quiet", no_argument, 0, 'q'},
        {"help-config", no_argument, 0, 'C'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int64_t trials = -1, seed = -1, blas = 1;
    double timeout = -1;
    const char *sampler = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!parse_i64(optarg, 1, &trials)) { fprintf(stderr, "mpihpo run: --trials expects an integer >= 1, got '%s'\n", optarg); return EXIT_USAGE; }
            break;
        case 's':
            if (!parse_i64(optarg, 0, &seed)) { fprintf(stderr, "mpihpo run: --seed expects an integer >= 0, got '%s'\n", optarg); return EXIT_USAGE; }
            break;
        case 't': {
            char *end;
            timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(timeout >= 0) || isinf(timeout)) { fprintf(stderr, "mpihpo run: --timeout expects seconds >= 0, got '%s'\n", optarg); return EXIT_USAGE; }
            break;
        }
        case 'S': sampler = optarg; break;
        case 'B':
            if (!parse_i64(optarg, 1, &blas)) { fprintf(stderr, "mpihpo run: --blas-threads expects an integer >= 1, got '%s'\n", optarg); return EXIT_USAGE; }
            break;
        case 'q': quiet = 1; break;
        case 'C': hpo_config_print_keys(stdout); return EXIT_OK;
        case 'h': fputs(k_run_help, stdout); return EXIT_OK;
        default: fputs("Try 'mpihpo run --help'.\n", stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mpihpo run: expected one study file, got %d arguments\nTry 'mpihpo run --help'.\n", argc - optind);
        return EXIT_USAGE;
    }
    openblas_set_num_threads((int)blas);

    /* Under mpirun/srun every rank runs this; alone, MPI is not started at
     * all (a singleton MPI_Init costs ~0.25 s and is not needed). */
    int use_mpi = launched_by_mpi(), rank = 0, size = 1;
    if (use_mpi) {
        MPI_Init(NULL, NULL);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    int rc = EXIT_ERROR;
    hpo_config *cfg = NULL;
    hpo_dataset *data = NULL;
    hpo_study *study = NULL;
    char what[1024] = "";
    hpo_status st = hpo_config_load(argv[optind], &cfg);
    if (st == HPO_OK) {
        if (trials > 0) cfg->study.trials = trials;
        if (seed >= 0) { cfg->study.has_seed = 1; cfg->study.seed = (uint64_t)seed; }
        if (timeout >= 0) cfg->study.timeout = timeout;
        if ((st = hpo_study_create(&study)) != HPO_OK || (st = configure(study, cfg, sampler)) != HPO_OK ||
            (st = hpo_study_set_log(study, (quiet || rank != 0) ? NULL : stdout)) != HPO_OK ||
            (st = hpo_study_setup(study)) != HPO_OK)
            snprintf(what, sizeof what, "%s", argv[optind]);
    }
    if (st == HPO_OK) {
        hpo_data_opts dopts = data_opts(cfg);
        st = hpo_dataset_load(&dopts, &data);
    }
    /* Every rank reads the study file and the data; if any fails, the lowest
     * failing rank says why and all leave together (no rank left waiting). */
    if (use_mpi && size > 1) {
        int mine = st == HPO_OK ? size : rank, first = size;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (first < size) {
            if (rank == first) {
                if (rank) snprintf(what + strlen(what), sizeof what - strlen(what), "%srank %d", *what ? ", " : "", rank);
                die(*what ? what : NULL);
            }
            goto out;
        }
    } else if (st != HPO_OK) {
        die(*what ? what : NULL);
        goto out;
    }
    hpo_mlp_objective obj = {.cfg = cfg, .data = data};
    if (rank == 0) {
        printf("Study '%s': %s, %" PRId64 " trials, sampler %s, pruner %s; data %s: %zu train / %zu validation rows, %zu features, %zu classes",
               cfg->study.name, cfg->study.direction == HPO_MAXIMIZE ? "maximize" : "minimize",
               cfg->study.trials, hpo_study_sampler_type(study), hpo_study_pruner_type(study), cfg->data.path,
               data->n_train, data->n_val, data->n_features, data->n_classes);
        if (size > 1) printf("; %d workers", size - 1);
        printf("\n");
        fflush(stdout);
    }
    double t0 = wall();
    if (size == 1) {
        st = hpo_study_optimize(study, hpo_mlp_objective_run, &obj, cfg->study.trials, cfg->study.timeout);
    } else if (rank == 0) {
        hpo_coord_opts co = {.n_trials = cfg->study.trials, .timeout_s = cfg->study.timeout,
                             .progress = (!quiet && isatty(STDERR_FILENO)) ? stderr : NULL,
                             .log = quiet ? NULL : stdout};
        st = hpo_mpi_coordinate(study, MPI_COMM_WORLD, &co);
    } else {
        st = hpo_mpi_work(MPI_COMM_WORLD, hpo_mlp_objective_run, &obj);
        if (st != HPO_OK) {
            char msg[64];
            snprintf(msg, sizeof msg, "rank %d", rank);
            die(msg);
            MPI_Abort(MPI_COMM_WORLD, EXIT_ERROR);   /* rank 0 may be waiting on us */
        }
    }
    double t1 = wall();
    if (rank == 0) {
        print_summary(study, t1 - t0, stdout);
        rc = st == HPO_OK ? EXIT_OK : die("the study stopped");
        if (st != HPO_OK && use_mpi && size > 1) MPI_Abort(MPI_COMM_WORLD, EXIT_ERROR);
    } else {
        rc = EXIT_OK;
    }
out:
    hpo_study_destroy(&study);
    hpo_dataset_destroy(&data);
    hpo_config_destroy(&cfg);
    if (use_mpi) MPI_Finalize();
    return rc;
}
