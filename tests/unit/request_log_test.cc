// The request log (fuse/request_log.h) without a mount: a server's first
// run of a request and the run of the same request resent to its successor
// are simulated with ScopedRequest, the log lives in a real SharedState.

#include "fuse/request_log.h"

#include <gtest/gtest.h>

#include <memory>

#include "fuse/request_info.h"
#include "fuse/shared_state.h"
#include "image/types.h"

namespace ext4fh {
namespace {

constexpr uint64_t kUnique = 0x1234;

class RequestLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = SharedState::Create();
    ASSERT_TRUE(state.ok());
    state_ = std::move(*state);
    log_ = std::make_unique<RequestLog>(*state_);
    nodes_ = *state_->nodes();
  }

  // Runs `run` through RunOnce as request kUnique, first or resent; returns
  // its outcome and counts the runs in runs_ (and the interrupted ones).
  Outcome Serve(bool resent, Status precondition, Outcome result) {
    ScopedRequest scope(RequestInfo{kUnique, 0, resent});
    return RunOnce(
        log_.get(), [&] { return precondition; },
        [&](bool interrupted) {
          ++runs_;
          interrupted_runs_ += interrupted ? 1 : 0;
          return result;
        });
  }

  // Counts `nodeids` as request `unique` would before its reply.
  void Count(uint64_t unique, bool resent, std::vector<uint64_t> nodeids) {
    ScopedRequest scope(RequestInfo{unique, 0, resent});
    CountOnce(log_.get(), *nodes_, nodeids);
  }

  std::unique_ptr<SharedState> state_;
  std::unique_ptr<RequestLog> log_;
  NodeTable* nodes_ = nullptr;
  int runs_ = 0;
  int interrupted_runs_ = 0;
};

TEST_F(RequestLogTest, ResentRequestGetsTheLoggedOutcomeWithoutRunning) {
  Outcome first = Serve(false, OkStatus(), Outcome{OkStatus(), 77});
  EXPECT_TRUE(first.status.ok());
  Outcome again = Serve(true, Status::Error(EEXIST), Outcome{});
  EXPECT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.nodeid, 77u);
  EXPECT_EQ(runs_, 1);
}

TEST_F(RequestLogTest, LoggedErrorIsAnsweredAgain) {
  Serve(false, OkStatus(), Outcome{Status::Error(ENOSPC), 0});
  Outcome again = Serve(true, OkStatus(), Outcome{});
  EXPECT_EQ(again.status.err(), ENOSPC);
  EXPECT_EQ(runs_, 1);
}

TEST_F(RequestLogTest, RequestCutShortRunsAgainInterrupted) {
  log_->Begin(kUnique);  // the first run died after logging it in progress
  Outcome again = Serve(true, Status::Error(EEXIST), Outcome{OkStatus(), 5});
  EXPECT_TRUE(again.status.ok()) << "the precondition is not checked again";
  EXPECT_EQ(interrupted_runs_, 1);
  // Its outcome is logged now, in the same slot: a third server answers it.
  Outcome third = Serve(true, OkStatus(), Outcome{});
  EXPECT_EQ(third.nodeid, 5u);
  EXPECT_EQ(runs_, 1);
}

// An exchange notes its inodes before its first change; the run resent
// after a crash reads them back, and a new request in the slot does not.
TEST_F(RequestLogTest, InterruptedRunReadsTheNoteOfTheFirst) {
  ExchangeNote note{{12, 13}, {7, 8}, {1, 2}, {3, 65000}};
  {
    ScopedRequest scope(RequestInfo{kUnique, 0, false});
    RunOnce(log_.get(), [] { return OkStatus(); }, [&](bool) {
      EXPECT_FALSE(CurrentNote(log_.get()));
      NoteCurrent(log_.get(), note.Pack());
      return Outcome{Status::Error(EIO), 0};
    });
  }
  size_t slot = *log_->SlotOf(kUnique);
  log_->Begin(kUnique, slot);  // as if it died before its outcome
  ScopedRequest scope(RequestInfo{kUnique, 0, true});
  RunOnce(log_.get(), [] { return OkStatus(); }, [&](bool interrupted) {
    EXPECT_TRUE(interrupted);
    std::optional<RequestLog::Note> read = CurrentNote(log_.get());
    EXPECT_TRUE(read);
    ExchangeNote back = ExchangeNote::Unpack(read.value_or(RequestLog::Note{}));
    EXPECT_EQ(back.Pack(), note.Pack());
    EXPECT_EQ(back.ino[1], 13u);
    EXPECT_EQ(back.dir_links[1], 65000u);
    return Outcome{};
  });
  EXPECT_FALSE(log_->ReadNote(slot, kUnique + 1)) << "another request";
  for (uint64_t u = kUnique + 1; u <= kUnique + kRequestLogSize; ++u) {
    if (size_t s = log_->Begin(u); s == slot) {
      EXPECT_FALSE(log_->ReadNote(s, u)) << "a new request in the slot";
    }
  }
}

TEST_F(RequestLogTest, FailedPreconditionIsNotLoggedAndIsCheckedAgain) {
  Outcome first = Serve(false, Status::Error(EEXIST), Outcome{});
  EXPECT_EQ(first.status.err(), EEXIST);
  EXPECT_FALSE(log_->SlotOf(kUnique).has_value());
  Outcome again = Serve(true, Status::Error(EEXIST), Outcome{});
  EXPECT_EQ(again.status.err(), EEXIST);
  EXPECT_EQ(runs_, 0);
}

TEST_F(RequestLogTest, ResentRequestNeverLoggedRunsNormally) {
  Outcome again = Serve(true, OkStatus(), Outcome{OkStatus(), 9});
  EXPECT_EQ(again.nodeid, 9u);
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(interrupted_runs_, 0);
}

TEST_F(RequestLogTest, ResentLookupCountsItsEntryOnce) {
  Count(kUnique, false, {42});
  Count(kUnique, true, {42});  // resent after a crash before the reply
  EXPECT_EQ(nodes_->Count(42), 1u);
  Count(kUnique + 2, false, {42});  // another request counts again
  EXPECT_EQ(nodes_->Count(42), 2u);
}

TEST_F(RequestLogTest, ResentReadDirPlusCountsEveryEntryOnce) {
  Count(kUnique, false, {42, 43, 42});  // two names of inode 42
  Count(kUnique, true, {42, 43, 42});
  EXPECT_EQ(nodes_->Count(42), 2u);
  EXPECT_EQ(nodes_->Count(43), 1u);
}

TEST_F(RequestLogTest, ResentRequestWithOtherEntriesCountsThem) {
  // Between the runs an fsck changed the directory: the kernel gets the
  // second run's entries, so those are counted (the first run's stay one
  // too high, never too low).
  Count(kUnique, false, {42});
  Count(kUnique, true, {44});
  EXPECT_EQ(nodes_->Count(42), 1u);
  EXPECT_EQ(nodes_->Count(44), 1u);
}

TEST_F(RequestLogTest, ResentCreateCountsItsEntryOnce) {
  // Each run: RunOnce, then the count of the entry it returns.
  auto serve_create = [&](bool resent) {
    ScopedRequest scope(RequestInfo{kUnique, 0, resent});
    Outcome made = RunOnce(
        log_.get(), [] { return OkStatus(); },
        [&](bool) {
          ++runs_;
          return Outcome{OkStatus(), 42};
        });
    CountOnce(log_.get(), *nodes_, {&made.nodeid, 1});
  };
  serve_create(false);
  serve_create(true);  // the first run died before its reply
  EXPECT_EQ(nodes_->Count(42), 1u);
  EXPECT_EQ(runs_, 1);
}

TEST_F(RequestLogTest, RequestsOutsideAServerAreNotLogged) {
  Outcome outcome = RunOnce(
      log_.get(), [] { return Status::Error(EEXIST); },
      [&](bool) { return Outcome{OkStatus(), 1}; });
  EXPECT_TRUE(outcome.status.ok()) << "unique 0: the run checks for itself";
  uint64_t id = 42;
  CountOnce(log_.get(), *nodes_, {&id, 1});
  CountOnce(log_.get(), *nodes_, {&id, 1});
  EXPECT_EQ(nodes_->Count(42), 2u);
}

}  // namespace
}  // namespace ext4fh
