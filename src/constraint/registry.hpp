#pragma once
/* The one list of weight-constraint methods. Each entry names the method in decks, says which
 * scratch it needs and whether it is "sensitive" (reaches w_max only through the w_max-scaled fan
 * scale, §2.2), and holds the map P that project_linear applies to X = W/c. The deck's choices,
 * the error message for an unknown name, the projector's workspaces and the dispatch all read it.
 *
 * Adding a method: its kernel (kernels/spectral.hpp), one entry in registry.cpp, its tests.
 */
#include <cstdint>
#include <string>
#include <vector>

#include "constraint/method.hpp"
#include "kernels/spectral.hpp"

namespace lip {

struct ProjectionSettings;
struct ProjectionWorkspace;

//! What a map needs besides X: the tensor's settings, this step's learning rate and the tensor's
//! target norm (the soft cap's coupling, §2.4), and the step's seed.
struct ConstraintCall {
  const ProjectionSettings& settings;
  double lr_t;
  double target_norm;
  uint64_t step_seed;  //!< seeds power iterations (shared by every tensor of a step, §3)
};

struct ConstraintMethod {
  ProjectionMethod method;
  const char* deck_name;
  const char* summary;
  bool polynomial_scratch;  //!< Newton–Schulz scratch (kernels::NsWorkspace)
  bool clip_scratch;        //!< exact-clip scratch (kernels::ClipWorkspace)
  bool unit_target;         //!< natural target 1: constrains to w_max through the sensitive scaling (§2.2)
  //! Every singular value ends at or below the cap after every projection, whatever the update
  //! (up to float rounding): the methods certify.target_bound accepts.
  bool guarantees_cap;
  //! X ← P(X) in place (X = W/c); nullptr for `none`.
  void (*apply)(kernels::MatrixView X, const ConstraintCall& call, ProjectionWorkspace& ws);
};

//! Every method, in deck order.
const std::vector<ConstraintMethod>& constraint_methods();
const ConstraintMethod& constraint_method(ProjectionMethod method);
//! Deck name -> entry; an unknown name throws lip::Error listing the valid names and the closest.
const ConstraintMethod& constraint_method(const std::string& deck_name);
//! Every deck name, in registry order (the deck's choices for constraint.method).
std::vector<std::string> constraint_method_names();
//! Deck names of the methods that guarantee their cap (guarantees_cap), in registry order.
std::vector<std::string> cap_guaranteeing_method_names();

//! Shorthands: deck name -> method (throws as above), method -> deck name.
inline ProjectionMethod parse_projection_method(const std::string& name) { return constraint_method(name).method; }
inline std::string projection_method_name(ProjectionMethod method) { return constraint_method(method).deck_name; }
//! True when the method constrains to RMS→RMS norm w_max only through the sensitive scaling:
//! unit-target methods with sensitive_all (paper semantics; false reproduces the GPT code, §13 items 1–2).
inline bool projection_is_sensitive(ProjectionMethod method, bool sensitive_all) {
  return sensitive_all && constraint_method(method).unit_target;
}

}  // namespace lip
