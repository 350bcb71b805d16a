#pragma once
// Naive host ReLU (test oracle for kernels/relu.hpp); derivative 0.5 at exactly 0.
namespace lip::kernels::reference {
inline double relu(double x) { return x > 0 ? x : 0; }
inline double relu_derivative(double x) { return x > 0 ? 1.0 : (x < 0 ? 0.0 : 0.5); }
}  // namespace lip::kernels::reference
