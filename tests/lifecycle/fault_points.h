// Faults a test host can inject into the plugin it loads, through the ordinary process interfaces the
// plugin uses: the executable replaces the global operator new and interposes pthread_create, so calls
// made inside the real .so fail on demand. Nothing in the plugin knows about this.
#ifndef ARMORCLAW_EVENTBUS_TESTS_LIFECYCLE_FAULT_POINTS_H_
#define ARMORCLAW_EVENTBUS_TESTS_LIFECYCLE_FAULT_POINTS_H_

#include <cstdint>

namespace armorclaw::eventbus::testing::fault {

// Makes the `n`th allocation (1-based) made from now on by the calling thread throw std::bad_alloc;
// 0 disarms. Other threads allocate normally.
void FailNthAllocationOnThisThread(uint64_t n);
// Makes the `n`th allocation made from now on by any thread but the calling one throw; 0 disarms.
void FailNthAllocationOnOtherThreads(uint64_t n);
// Whether the armed failure has fired since it was armed.
bool AllocationFailed();

// While one exists, the calling thread's allocations never fail: for host code that runs inside a plugin
// call (the log callback), which the faults aimed at the plugin must spare.
class Spared {
 public:
  Spared();
  ~Spared();
  Spared(const Spared&) = delete;
  Spared& operator=(const Spared&) = delete;
};

// While set, pthread_create fails with EAGAIN (as when the process is out of threads).
void FailThreadCreation(bool fail);

}  // namespace armorclaw::eventbus::testing::fault

#endif  // ARMORCLAW_EVENTBUS_TESTS_LIFECYCLE_FAULT_POINTS_H_
