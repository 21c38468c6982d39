(module
  (type 0 (func (param i32 i32 i32 i32 i32)))
  (type 1 (func (param i32 i32 i32 i32 i32 i32)))
  (type 2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type 3 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 f64 f64 f64)))
  (type 4 (func (param i32 i32)))
  (type 5 (func (param i32 i32 i32)))
  (type 6 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (type 7 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result f64)))
  (type 8 (func (param i32 i32 i32 i32 i32) (result f64)))
  (import "e" "m" (memory 1))
  (func $forward (type 0)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (local i32) ;; 5
    (local i32) ;; 6
    (local i32) ;; 7
    (local i32) ;; 8
    (local f64) ;; 9
    (local f64) ;; 10
    i32.const 0
    local.set 5
    local.get 2
    local.set 6
    local.get 3
    local.set 7
    block
      loop
        local.get 5
        local.get 0
        i32.ge_s
        br_if 1
        local.get 2
        local.get 1
        local.get 5
        i32.const 2
        i32.shl
        i32.add
        i32.load offset=4
        i32.const 2
        i32.shl
        i32.add
        local.set 8
        local.get 4
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 9
        f64.const 0
        local.set 10
        block
          loop
            local.get 6
            i32.const 4
            i32.add
            local.get 8
            i32.ge_u
            br_if 1
            local.get 9
            local.get 7
            f64.load
            local.get 4
            local.get 6
            i32.load
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.mul
            f64.sub
            local.set 9
            local.get 10
            local.get 7
            f64.load offset=8
            local.get 4
            local.get 6
            i32.load offset=4
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.mul
            f64.sub
            local.set 10
            local.get 6
            i32.const 8
            i32.add
            local.set 6
            local.get 7
            i32.const 16
            i32.add
            local.set 7
            br 0
          end
        end
        local.get 6
        local.get 8
        i32.lt_u
        if
          local.get 9
          local.get 7
          f64.load
          local.get 4
          local.get 6
          i32.load
          i32.const 3
          i32.shl
          i32.add
          f64.load
          f64.mul
          f64.sub
          local.set 9
          local.get 6
          i32.const 4
          i32.add
          local.set 6
          local.get 7
          i32.const 8
          i32.add
          local.set 7
        end
        local.get 4
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        local.get 9
        local.get 10
        f64.add
        f64.store
        local.get 5
        i32.const 1
        i32.add
        local.set 5
        br 0
      end
    end
  )
  (func $backward (type 1)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (param i32) ;; 5
    (local i32) ;; 6
    (local i32) ;; 7
    (local i32) ;; 8
    (local i32) ;; 9
    (local f64) ;; 10
    (local f64) ;; 11
    local.get 1
    local.get 0
    i32.const 2
    i32.shl
    i32.add
    i32.load
    local.tee 7
    local.set 8
    local.get 2
    local.get 7
    i32.const 2
    i32.shl
    i32.add
    local.set 7
    local.get 3
    local.get 8
    i32.const 3
    i32.shl
    i32.add
    local.set 8
    local.get 0
    i32.const 1
    i32.sub
    local.set 6
    block
      loop
        local.get 6
        i32.const 0
        i32.lt_s
        br_if 1
        local.get 2
        local.get 1
        local.get 6
        i32.const 2
        i32.shl
        i32.add
        i32.load
        i32.const 2
        i32.shl
        i32.add
        local.set 9
        local.get 5
        local.get 6
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 4
        local.get 6
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.mul
        local.set 10
        f64.const 0
        local.set 11
        block
          loop
            local.get 7
            local.get 9
            i32.const 4
            i32.add
            i32.le_u
            br_if 1
            local.get 7
            i32.const 8
            i32.sub
            local.set 7
            local.get 8
            i32.const 16
            i32.sub
            local.set 8
            local.get 10
            local.get 8
            f64.load offset=8
            local.get 5
            local.get 7
            i32.load offset=4
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.mul
            f64.sub
            local.set 10
            local.get 11
            local.get 8
            f64.load
            local.get 5
            local.get 7
            i32.load
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.mul
            f64.sub
            local.set 11
            br 0
          end
        end
        local.get 7
        local.get 9
        i32.gt_u
        if
          local.get 7
          i32.const 4
          i32.sub
          local.set 7
          local.get 8
          i32.const 8
          i32.sub
          local.set 8
          local.get 10
          local.get 8
          f64.load
          local.get 5
          local.get 7
          i32.load
          i32.const 3
          i32.shl
          i32.add
          f64.load
          f64.mul
          f64.sub
          local.set 10
        end
        local.get 5
        local.get 6
        i32.const 3
        i32.shl
        i32.add
        local.get 10
        local.get 11
        f64.add
        f64.store
        local.get 6
        i32.const 1
        i32.sub
        local.set 6
        br 0
      end
    end
  )
  (func $solve (type 2)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (param i32) ;; 5
    (param i32) ;; 6
    (param i32) ;; 7
    (param i32) ;; 8
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    local.get 8
    call 0
    local.get 0
    local.get 4
    local.get 5
    local.get 6
    local.get 7
    local.get 8
    call 1
  )
  (func $admm (type 3)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (param i32) ;; 5
    (param i32) ;; 6
    (param i32) ;; 7
    (param i32) ;; 8
    (param i32) ;; 9
    (param i32) ;; 10
    (param i32) ;; 11
    (param i32) ;; 12
    (param i32) ;; 13
    (param i32) ;; 14
    (param i32) ;; 15
    (param i32) ;; 16
    (param i32) ;; 17
    (param i32) ;; 18
    (param i32) ;; 19
    (param i32) ;; 20
    (param i32) ;; 21
    (param i32) ;; 22
    (param f64) ;; 23
    (param f64) ;; 24
    (param f64) ;; 25
    (local i32) ;; 26
    (local i32) ;; 27
    (local f64) ;; 28
    (local f64) ;; 29
    (local f64) ;; 30
    (local f64) ;; 31
    (local f64) ;; 32
    (local f64) ;; 33
    (local f64) ;; 34
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    local.get 4
    local.get 5
    local.get 6
    local.get 7
    local.get 8
    call 2
    i32.const 0
    local.set 26
    block
      loop
        local.get 26
        local.get 9
        i32.ge_s
        br_if 1
        local.get 11
        local.get 26
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set 27
        local.get 24
        local.get 8
        local.get 27
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.mul
        local.get 25
        local.get 14
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.mul
        f64.add
        local.set 28
        local.get 13
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        local.get 28
        f64.store
        local.get 8
        local.get 27
        i32.const 3
        i32.shl
        i32.add
        local.get 23
        local.get 28
        f64.mul
        local.get 15
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.sub
        f64.store
        local.get 26
        i32.const 1
        i32.add
        local.set 26
        br 0
      end
    end
    i32.const 0
    local.set 26
    block
      loop
        local.get 26
        local.get 10
        i32.ge_s
        br_if 1
        local.get 12
        local.get 26
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set 27
        local.get 17
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 29
        local.get 19
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 30
        local.get 18
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 31
        local.get 24
        local.get 29
        local.get 30
        local.get 8
        local.get 27
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 31
        f64.sub
        f64.mul
        f64.add
        f64.mul
        local.get 25
        local.get 29
        f64.mul
        f64.add
        local.set 32
        local.get 32
        local.get 30
        local.get 31
        f64.mul
        f64.add
        local.set 33
        local.get 21
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 33
        local.get 33
        local.get 21
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.lt
        select
        local.set 33
        local.get 22
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 33
        local.get 33
        local.get 22
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.gt
        select
        local.set 33
        local.get 31
        local.get 20
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 32
        local.get 33
        f64.sub
        f64.mul
        f64.add
        local.set 34
        local.get 18
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        local.get 34
        f64.store
        local.get 16
        local.get 26
        i32.const 3
        i32.shl
        i32.add
        local.get 33
        f64.store
        local.get 8
        local.get 27
        i32.const 3
        i32.shl
        i32.add
        local.get 33
        local.get 30
        local.get 34
        f64.mul
        f64.sub
        f64.store
        local.get 26
        i32.const 1
        i32.add
        local.set 26
        br 0
      end
    end
  )
  (func $step (type 4)
    (param i32) ;; 0
    (param i32) ;; 1
    local.get 0
    i32.load
    local.get 0
    i32.load offset=4
    local.get 0
    i32.load offset=8
    local.get 0
    i32.load offset=12
    local.get 0
    i32.load offset=16
    local.get 0
    i32.load offset=20
    local.get 0
    i32.load offset=24
    local.get 0
    i32.load offset=28
    local.get 0
    i32.load offset=32
    local.get 0
    i32.load offset=36
    local.get 0
    i32.load offset=40
    local.get 0
    i32.load offset=44
    local.get 0
    i32.load offset=48
    local.get 0
    i32.load offset=56
    local.get 0
    i32.load offset=52
    local.get 1
    select
    local.get 0
    i32.load offset=52
    local.get 0
    i32.load offset=56
    local.get 1
    select
    local.get 0
    i32.load offset=60
    local.get 0
    i32.load offset=68
    local.get 0
    i32.load offset=64
    local.get 1
    select
    local.get 0
    i32.load offset=64
    local.get 0
    i32.load offset=68
    local.get 1
    select
    local.get 0
    i32.load offset=72
    local.get 0
    i32.load offset=76
    local.get 0
    i32.load offset=80
    local.get 0
    i32.load offset=84
    local.get 0
    i32.load offset=88
    local.get 0
    f64.load offset=96
    local.get 0
    f64.load offset=104
    local.get 0
    f64.load offset=112
    call 3
  )
  (func $steps (type 5)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    block
      loop
        local.get 2
        i32.eqz
        br_if 1
        local.get 0
        local.get 1
        call 4
        local.get 1
        i32.const 1
        i32.xor
        local.set 1
        local.get 2
        i32.const 1
        i32.sub
        local.set 2
        br 0
      end
    end
  )
  (func $factor (type 6)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (param i32) ;; 5
    (param i32) ;; 6
    (param i32) ;; 7
    (param i32) ;; 8
    (param i32) ;; 9
    (param i32) ;; 10
    (param i32) ;; 11
    (param i32) ;; 12
    (param i32) ;; 13
    (result i32)
    (local i32) ;; 14
    (local i32) ;; 15
    (local i32) ;; 16
    (local i32) ;; 17
    (local i32) ;; 18
    (local i32) ;; 19
    (local i32) ;; 20
    (local i32) ;; 21
    (local i32) ;; 22
    (local f64) ;; 23
    (local f64) ;; 24
    (local f64) ;; 25
    i32.const 0
    local.set 14
    i32.const 0
    local.set 21
    i32.const 0
    local.set 22
    block
      loop
        local.get 14
        local.get 0
        i32.ge_s
        br_if 1
        local.get 11
        local.get 14
        i32.const 3
        i32.shl
        i32.add
        f64.const 0
        f64.store
        local.get 12
        local.get 14
        i32.const 2
        i32.shl
        i32.add
        i32.const 0
        i32.store
        local.get 1
        local.get 14
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set 15
        local.get 1
        local.get 14
        i32.const 2
        i32.shl
        i32.add
        i32.load offset=4
        local.set 16
        block
          loop
            local.get 15
            local.get 16
            i32.ge_s
            br_if 1
            local.get 2
            local.get 15
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 19
            local.get 11
            local.get 19
            i32.const 3
            i32.shl
            i32.add
            local.get 11
            local.get 19
            i32.const 3
            i32.shl
            i32.add
            f64.load
            local.get 3
            local.get 15
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.add
            f64.store
            local.get 15
            i32.const 1
            i32.add
            local.set 15
            br 0
          end
        end
        local.get 11
        local.get 14
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 24
        local.get 11
        local.get 14
        i32.const 3
        i32.shl
        i32.add
        f64.const 0
        f64.store
        local.get 7
        local.get 14
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set 17
        local.get 7
        local.get 14
        i32.const 2
        i32.shl
        i32.add
        i32.load offset=4
        local.set 18
        block
          loop
            local.get 17
            local.get 18
            i32.ge_s
            br_if 1
            local.get 8
            local.get 17
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 19
            local.get 11
            local.get 19
            i32.const 3
            i32.shl
            i32.add
            f64.load
            local.set 23
            local.get 11
            local.get 19
            i32.const 3
            i32.shl
            i32.add
            f64.const 0
            f64.store
            local.get 4
            local.get 19
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 15
            local.get 15
            local.get 12
            local.get 19
            i32.const 2
            i32.shl
            i32.add
            i32.load
            i32.add
            local.set 20
            block
              loop
                local.get 15
                local.get 20
                i32.ge_s
                br_if 1
                local.get 5
                local.get 15
                i32.const 2
                i32.shl
                i32.add
                i32.load
                local.set 16
                local.get 11
                local.get 16
                i32.const 3
                i32.shl
                i32.add
                local.get 11
                local.get 16
                i32.const 3
                i32.shl
                i32.add
                f64.load
                local.get 6
                local.get 15
                i32.const 3
                i32.shl
                i32.add
                f64.load
                local.get 23
                f64.mul
                f64.sub
                f64.store
                local.get 15
                i32.const 1
                i32.add
                local.set 15
                br 0
              end
            end
            local.get 23
            local.get 10
            local.get 19
            i32.const 3
            i32.shl
            i32.add
            f64.load
            f64.mul
            local.set 25
            local.get 24
            local.get 25
            local.get 23
            f64.mul
            f64.sub
            local.set 24
            local.get 5
            local.get 20
            i32.const 2
            i32.shl
            i32.add
            local.get 14
            i32.store
            local.get 6
            local.get 20
            i32.const 3
            i32.shl
            i32.add
            local.get 25
            f64.store
            local.get 9
            local.get 17
            i32.const 3
            i32.shl
            i32.add
            local.get 25
            f64.store
            local.get 12
            local.get 19
            i32.const 2
            i32.shl
            i32.add
            local.get 12
            local.get 19
            i32.const 2
            i32.shl
            i32.add
            i32.load
            i32.const 1
            i32.add
            i32.store
            local.get 17
            i32.const 1
            i32.add
            local.set 17
            br 0
          end
        end
        local.get 24
        f64.const 0
        f64.eq
        local.get 24
        local.get 24
        f64.sub
        f64.const 0
        f64.ne
        i32.or
        if
          local.get 13
          local.get 21
          i32.store
          local.get 13
          local.get 22
          i32.store offset=4
          i32.const 0
          return
        end
        local.get 10
        local.get 14
        i32.const 3
        i32.shl
        i32.add
        f64.const 1
        local.get 24
        f64.div
        f64.store
        local.get 24
        f64.const 0
        f64.gt
        if
          local.get 21
          i32.const 1
          i32.add
          local.set 21
        else
          local.get 22
          i32.const 1
          i32.add
          local.set 22
        end
        local.get 14
        i32.const 1
        i32.add
        local.set 14
        br 0
      end
    end
    local.get 13
    local.get 21
    i32.store
    local.get 13
    local.get 22
    i32.store offset=4
    i32.const 1
  )
  (func $resid (type 7)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (param i32) ;; 5
    (param i32) ;; 6
    (param i32) ;; 7
    (param i32) ;; 8
    (result f64)
    (local i32) ;; 9
    (local i32) ;; 10
    (local i32) ;; 11
    (local i32) ;; 12
    (local f64) ;; 13
    (local f64) ;; 14
    (local f64) ;; 15
    (local f64) ;; 16
    i32.const 0
    local.set 9
    block
      loop
        local.get 9
        local.get 0
        i32.ge_s
        br_if 1
        local.get 8
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        local.get 6
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.store
        local.get 9
        i32.const 1
        i32.add
        local.set 9
        br 0
      end
    end
    i32.const 0
    local.set 9
    block
      loop
        local.get 9
        local.get 0
        i32.ge_s
        br_if 1
        local.get 7
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 13
        f64.const 0
        local.set 14
        local.get 1
        local.get 9
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set 10
        local.get 1
        local.get 9
        i32.const 2
        i32.shl
        i32.add
        i32.load offset=4
        local.set 11
        block
          loop
            local.get 10
            local.get 11
            i32.ge_s
            br_if 1
            local.get 2
            local.get 10
            i32.const 2
            i32.shl
            i32.add
            i32.load
            local.set 12
            local.get 3
            local.get 10
            i32.const 3
            i32.shl
            i32.add
            f64.load
            local.set 15
            local.get 12
            local.get 9
            i32.eq
            if
              local.get 14
              local.get 4
              local.get 9
              i32.const 3
              i32.shl
              i32.add
              f64.load
              local.get 13
              f64.mul
              f64.add
              local.set 14
            else
              local.get 8
              local.get 12
              i32.const 3
              i32.shl
              i32.add
              local.get 8
              local.get 12
              i32.const 3
              i32.shl
              i32.add
              f64.load
              local.get 15
              local.get 13
              f64.mul
              f64.sub
              f64.store
              local.get 14
              local.get 15
              local.get 7
              local.get 12
              i32.const 3
              i32.shl
              i32.add
              f64.load
              f64.mul
              f64.add
              local.set 14
            end
            local.get 10
            i32.const 1
            i32.add
            local.set 10
            br 0
          end
        end
        local.get 8
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        local.get 8
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 14
        f64.sub
        f64.store
        local.get 9
        i32.const 1
        i32.add
        local.set 9
        br 0
      end
    end
    f64.const 0
    local.set 16
    i32.const 0
    local.set 9
    block
      loop
        local.get 9
        local.get 0
        i32.ge_s
        br_if 1
        local.get 16
        local.get 8
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.abs
        local.get 5
        local.get 9
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.mul
        f64.max
        local.set 16
        local.get 9
        i32.const 1
        i32.add
        local.set 9
        br 0
      end
    end
    local.get 16
  )
  (func $update (type 8)
    (param i32) ;; 0
    (param i32) ;; 1
    (param i32) ;; 2
    (param i32) ;; 3
    (param i32) ;; 4
    (result f64)
    (local i32) ;; 5
    (local f64) ;; 6
    (local f64) ;; 7
    f64.const 0
    local.set 7
    i32.const 0
    local.set 5
    block
      loop
        local.get 5
        local.get 0
        i32.ge_s
        br_if 1
        local.get 2
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.set 6
        local.get 1
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        local.get 1
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        f64.load
        local.get 6
        f64.add
        f64.store
        local.get 4
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        local.get 6
        f64.store
        local.get 7
        local.get 6
        f64.abs
        local.get 3
        local.get 5
        i32.const 3
        i32.shl
        i32.add
        f64.load
        f64.mul
        f64.max
        local.set 7
        local.get 5
        i32.const 1
        i32.add
        local.set 5
        br 0
      end
    end
    local.get 7
  )
  (export "f" (func $forward))
  (export "b" (func $backward))
  (export "s" (func $solve))
  (export "a" (func $admm))
  (export "t" (func $step))
  (export "k" (func $steps))
  (export "l" (func $factor))
  (export "r" (func $resid))
  (export "u" (func $update))
)
