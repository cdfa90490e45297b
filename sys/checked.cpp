#include "sys/checked.hpp"

#include <cstring>
#include <string>

namespace ipcb::sys {

SysError::SysError(std::string_view call, std::string_view object, int err)
    : std::runtime_error(std::string(call) + "(" + std::string(object) +
                         "): " + std::strerror(err)),
      err_(err) {}

void throw_name_taken(std::string_view call, std::string_view object) {
  std::string msg(call);
  msg += "(";
  msg += object;
  msg +=
      "): an object with this name already exists; refusing to reuse it "
      "(remove it if it is a leftover of a crashed run)";
  throw std::runtime_error(msg);
}

}  // namespace ipcb::sys
