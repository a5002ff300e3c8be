// bench/ratio_reporter.hpp — the console reporter, plus a closing table of ratios between
// benchmarks of the same run ("redwire/x" against "cereal/x"), since the goals are ratios.
#pragma once

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace bench {

class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  /// Ratios of `subject_prefix + case` to `baseline_prefix + case`, for each case run.
  ratio_reporter(std::string subject_prefix, std::string baseline_prefix, double goal)
      : ConsoleReporter(::isatty(1) ? OO_Defaults : OO_Tabular),
        subject_(std::move(subject_prefix)),
        baseline_(std::move(baseline_prefix)),
        goal_(goal) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    // Plain runs, or the median of repetitions (--benchmark_repetitions=N).
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      if (r.run_type == Run::RT_Iteration)
        times_[r.run_name.str()] = r.GetAdjustedRealTime();
      else if (r.aggregate_name == "median")
        times_[r.run_name.str()] = r.GetAdjustedRealTime();
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    bool header = false;
    for (const auto& [name, t] : times_) {
      if (name.rfind(subject_, 0) != 0) continue;
      std::string rest = name.substr(subject_.size());
      auto base = times_.find(baseline_ + rest);
      if (base == times_.end() || base->second <= 0) continue;
      if (!header) {
        std::printf("\n%-40s %12s %12s %8s  (goal <= %.2fx)\n", "case", subject_.c_str(),
                    baseline_.c_str(), "ratio", goal_);
        header = true;
      }
      double ratio = t / base->second;
      std::printf("%-40s %12.1f %12.1f %7.2fx %s\n", rest.c_str(), t, base->second, ratio,
                  ratio <= goal_ ? "ok" : "OVER");
    }
    std::fflush(stdout);
  }

 private:
  std::string subject_, baseline_;
  double goal_;
  std::map<std::string, double> times_;
};

}  // namespace bench
