#include "netchan/type_name.hpp"

#include <string>

namespace netchan {

std::string fingerprint_hex(std::uint64_t fingerprint) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (auto it = out.rbegin(); it != out.rend(); ++it, fingerprint >>= 4) {
        *it = digits[fingerprint & 0xf];
    }
    return out;
}

namespace detail {

std::string integer_descriptor(bool is_signed, std::size_t bytes) {
    return (is_signed ? "int" : "uint") + std::to_string(bytes * 8);
}

} // namespace detail

} // namespace netchan
