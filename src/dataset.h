/* dataset.h - a CSV file turned into a classification data set, split into
 * training and validation rows, the way the article does it in Python:
 *     df = pd.get_dummies(pd.read_csv(path))
 *     train, val = train_test_split(df, test_size=f, random_state=seed)
 *
 * Columns. A cell is *missing* if, after trimming spaces and tabs, it is empty
 * or one of NA, N/A, NaN, ?, null (case-insensitive). A cell is a *number* if,
 * after trimming, it uses only the characters 0-9 + - . e E, strtod reads all
 * of it, and the value is finite (so no hex, "inf", "1,5" or "12a"). Of the
 * non-missing cells of a column:
 *   - all numbers                 -> numeric column (as is; also when all missing);
 *   - at least 90% numbers        -> malformed numbers: HPO_EFORMAT naming the
 *                                    file, line, column and text of the first
 *                                    cell that is not a number;
 *   - fewer                       -> categorical, one-hot encoded: one feature
 *                                    "Col_Value" per distinct value (text kept
 *                                    as is, untrimmed), values sorted byte-wise.
 * The 90% rule catches a typo in a numeric column of 10 or more rows; a tiny
 * file with one stray word among 3 numbers is categorical, as pandas reads it.
 * Feature order is pd.get_dummies order: numeric columns in file order (the
 * target excluded), then each categorical column's one-hot block in file order.
 *
 * Target. Classes are its distinct values, in numeric order if the column is
 * numeric (names like "0", "1", "2.5") and byte-wise order otherwise.
 *
 * Numbers are parsed with strtod, so the C locale's '.' is the decimal point. */
#ifndef HPO_DATASET_H
#define HPO_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "mpihpo.h"   /* hpo_status */

typedef enum {
    HPO_MISSING_ERROR = 0,   /* any missing cell is HPO_EFORMAT (file, line, column) */
    HPO_MISSING_DROP,        /* drop rows with any missing cell, before the split */
    HPO_MISSING_MEAN,        /* numeric: mean of the training rows; categorical: most frequent */
    HPO_MISSING_MEDIAN       /* numeric: median of the training rows; categorical: most frequent */
} hpo_missing;               /* a missing target cell is an error unless DROP */

typedef enum { HPO_SPLIT_SKLEARN = 0, HPO_SPLIT_RANDOM } hpo_split;

typedef struct hpo_data_opts {
    const char *path;            /* CSV file */
    const char *target;          /* target column name (exact, case-sensitive) */
    double validation_fraction;  /* in (0,1); n_val = ceil(f * n) rows, as sklearn */
    hpo_split split;             /* SKLEARN: numpy RandomState(split_seed).permutation(n); the
                                    first n_val are validation rows, in that order, the rest
                                    training rows, as sklearn train_test_split(test_size=f,
                                    random_state=split_seed) (seed must be < 2^32);
                                    RANDOM: the same with an hpo_rng shuffle */
    uint64_t split_seed;
    int standardize;             /* z-score every feature (one-hot ones too, like StandardScaler
                                    on the get_dummies frame) with mean and population std
                                    (ddof=0) of the training rows. A feature constant on the
                                    training rows is exactly 0 there; its validation values
                                    become x - mean (scale 1, as sklearn) */
    hpo_missing missing;         /* what to do with a missing cell */
} hpo_data_opts;

/* hpo_data_opts_default - fraction 0.2, SKLEARN, seed 42, standardize 0,
 * missing ERROR, path and target NULL. Cannot fail. */
void hpo_data_opts_default(hpo_data_opts *o);

/* Rows: n = n_train + n_val (after DROP). F = n_features. Row-major. */
typedef struct hpo_dataset {
    size_t n_train, n_val;       /* rows */
    size_t n_features;           /* F: columns of x after one-hot */
    size_t n_classes;            /* distinct target values, >= 2 */
    float   *x_train;            /* (n_train, F) */
    int32_t *y_train;            /* (n_train) class index in [0, n_classes) */
    float   *x_val;              /* (n_val, F) */
    int32_t *y_val;              /* (n_val) */
    char   **feature_names;      /* (F), e.g. "Age", "Sex_F" */
    char   **class_names;        /* (n_classes), e.g. "0", "1" */
} hpo_dataset;                   /* every array is owned by the data set: free with destroy only */

/* hpo_dataset_load - read o->path and build the data set described above.
 * On HPO_OK *out owns a new data set. On failure *out is NULL, nothing is
 * leaked, and the message names the file (and line, column and text where
 * one cell is at fault):
 *   HPO_EINVAL   bad options (names which), or no column o->target (lists the columns);
 *   HPO_EIO, HPO_ESYNTAX, HPO_EFORMAT from the CSV reader (csv.h);
 *   HPO_EFORMAT  a missing cell under ERROR, malformed numbers, duplicate
 *                column names, fewer than 2 rows, a split leaving no training
 *                or validation rows, one class only, no feature columns, or
 *                nothing to impute from;
 *   HPO_ENOMEM. */
hpo_status hpo_dataset_load(const hpo_data_opts *o, hpo_dataset **out);

/* hpo_dataset_destroy - free everything; NULL and *d == NULL are fine; clears *d. */
void hpo_dataset_destroy(hpo_dataset **d);

#endif
