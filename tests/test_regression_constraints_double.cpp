// Regression suite (issue 6, docs/REGRESSION.md), Real = double (lib lip_double): the tests live in
// support/regression_constraints_tests.hpp and pick each dataset's tolerance for this build's Real.
#include "support/regression_constraints_tests.hpp"
