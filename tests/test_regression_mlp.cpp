// Regression suite (issue 6, docs/REGRESSION.md), Real = float (lib lip): the tests live in
// support/regression_mlp_tests.hpp and pick each dataset's tolerance for this build's Real.
#include "support/regression_mlp_tests.hpp"
