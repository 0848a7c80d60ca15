#pragma once

namespace netchan {

template <class T>
class chan;
class actor_group;
class error;
class closed_error;
class decode_error;

} // namespace netchan
